import { deadlineChecks } from './model-lister/deadline.contract.js';
import { failureChecks } from './model-lister/failures.contract.js';
import { acrossProvidersChecks, listingChecks } from './model-lister/listing.contract.js';
import type { ModelListerContractFake, ModelListerContractOptions } from './model-lister/options.js';
import { describeListerChecks } from './model-lister/support.js';

export * from './model-lister/options.js';
export { describeModelListerListing } from './model-lister/listing.contract.js';
export { describeModelListerFailures } from './model-lister/failures.contract.js';
export { describeModelListerDeadline } from './model-lister/deadline.contract.js';

/**
 * The ModelLister contract: every model of the key, every page, in order and for that
 * key only; listings of different keys, providers or partitions never share a call; failures as
 * outcomes with the probe's codes and fixed wording (no provider body, no part of the
 * key, masked echoes included); a deadline that bounds the whole listing, every page
 * included (with `delayAnswers`), and a signal that ends it.
 * Each concern is also a suite of its own (`describeModelListerListing`, `…Failures`,
 * `…Deadline`), with the same options.
 */
export function describeModelListerContract<Fake extends ModelListerContractFake>(options: ModelListerContractOptions<Fake>): void {
  describeListerChecks(options, listingChecks, failureChecks, deadlineChecks, acrossProvidersChecks);
}
