// The settings page: reads and writes /api/settings/llm of this server. No framework and
// no inline code, so that the page runs under `script-src 'self'` and offline.

// Relative to the page, so that it also works where a host app mounts this one under a path.
const SETTINGS = 'api/settings/llm';
const MODELS = 'api/settings/llm/models';
const TEST = 'api/settings/llm/test';
const PROVIDERS = 'api/settings/llm/providers';
const WHOAMI = 'api/settings/llm/whoami';
const USAGE = 'api/settings/llm/usage';
/** The usage table's span, today included. */
const USAGE_DAYS = 30;
/** The API token lives in this tab's sessionStorage only: gone when the tab closes. */
const TOKEN_KEY = 'llm-settings.api-token';
/** The select's entry that reveals the free-text model field. */
const OTHER_MODEL = '';
/** Display names by provider id: the page's own two until the server's list is loaded. */
const PROVIDER_NAMES = { anthropic: 'Anthropic', openai: 'OpenAI' };

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'),
  tokenSection: $('token-section'),
  tokenForm: $('token-form'),
  token: $('token'),
  tokenError: $('token-error'),
  linkSection: $('link-section'),
  linkTitle: $('link-title'),
  linkText: $('link-text'),
  linkHint: $('link-hint'),
  linkUse: $('link-use'),
  linkDismiss: $('link-dismiss'),
  settings: $('settings'),
  current: { scope: $('current-scope'), provider: $('current-provider'), model: $('current-model'), key: $('current-key'), updated: $('current-updated') },
  conflict: $('conflict'),
  reload: $('reload-button'),
  form: $('settings-form'),
  editSection: $('edit-section'),
  saveButton: $('save-button'),
  deleteSection: $('delete-section'),
  provider: $('provider'),
  modelSelectField: $('model-select-field'),
  modelSelect: $('model-select'),
  modelSource: $('model-source'),
  modelOtherField: $('model-other-field'),
  modelOther: $('model-other'),
  modelNote: $('model-note'),
  apiKey: $('api-key'),
  testButton: $('test-button'),
  listModelsButton: $('list-models-button'),
  testResult: $('test-result'),
  testOutcome: $('test-outcome'),
  testSubject: $('test-subject'),
  testCode: $('test-code'),
  testLatency: $('test-latency'),
  usageSection: $('usage-section'),
  usageEmpty: $('usage-empty'),
  usageTable: $('usage-table'),
  usageRows: $('usage-rows'),
  deleteButton: $('delete-button'),
  deleteDialog: $('delete-dialog'),
  deleteCancel: $('delete-cancel'),
  deleteConfirm: $('delete-confirm'),
};

/**
 * What the page knows of the server: the view shown, its ETag, and whether the model route
 * exists; and of a link's token: whether one is being checked or offered (`linkPending`, the
 * settings stay hidden meanwhile), the one offered (`linkToken`, in memory only until Use),
 * and a count of the links seen, so that an older link's late answer is dropped.
 */
const state = { view: null, etag: null, modelListAvailable: true, modelLoads: 0, busy: false, providersLoaded: false, caller: null, linkPending: false, linkToken: null, linkOffers: 0 };

/** An answer the page cannot use: a problem document (RFC 9457) or a network failure. */
class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * Calls the API with the tab's token; a 401 asks for the token and rejects. With `token`
 * (a link's token being checked), calls with that one instead and leaves the tab's alone.
 */
async function api(method, path, { body, ifMatch, token: offered } = {}) {
  const token = offered ?? sessionStorage.getItem(TOKEN_KEY);
  let headers;
  try {
    headers = new Headers({ accept: 'application/json' });
    if (token !== null) headers.set('authorization', `Bearer ${token}`);
  } catch {
    // A token no header can carry (a line break, a character outside Latin-1): kept by an
    // earlier version of the page. Never sent, so no network error: forgotten, asked again.
    if (offered === undefined) askForToken('The token kept for this tab cannot be sent (it holds a character no request header can carry); enter it again.');
    throw new ApiError(401, { title: 'Unusable token', detail: 'The token cannot be sent in a request header.' });
  }
  if (body !== undefined) headers.set('content-type', 'application/json');
  if (ifMatch) headers.set('if-match', ifMatch);
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new ApiError(0, { title: 'Server unreachable', detail: 'The server could not be reached; check that it is running.' });
  }
  const text = await response.text();
  const json = text === '' ? null : parseJson(text);
  if (response.status === 401) {
    if (offered === undefined) askForToken(token === null ? null : 'The API token was refused; enter it again.');
    throw new ApiError(401, json);
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return { json, etag: response.headers.get('etag') };
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function announce(message, kind = 'info') {
  ui.status.textContent = message;
  ui.status.dataset.kind = kind;
}

function describeProblem(error) {
  const problem = error.problem ?? {};
  const details = (problem.errors ?? []).map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
  const code = problem.code ? ` (${problem.code})` : '';
  return [`${problem.title ?? 'Request failed'}${code}: ${error.message}`, ...details].join(' — ');
}

/**
 * Runs one write or test at a time, so that a double click sends it once. Meanwhile the
 * buttons are marked unavailable with aria-disabled rather than disabled, which would
 * drop the keyboard focus of the button just pressed; the handlers ignore them.
 */
async function whileBusy(request) {
  const buttons = [...ui.settings.querySelectorAll('button')];
  state.busy = true;
  for (const button of buttons) button.setAttribute('aria-disabled', 'true');
  ui.form.setAttribute('aria-busy', 'true');
  try {
    return { value: await request() };
  } catch (error) {
    return { error };
  } finally {
    state.busy = false;
    for (const button of buttons) button.removeAttribute('aria-disabled');
    ui.form.setAttribute('aria-busy', 'false');
  }
}

// ---- token --------------------------------------------------------------------------

/**
 * What a token must be to be kept: 16 to 8192 printable ASCII characters, no whitespace.
 * The server's rule for its API token (`isUsableApiToken`, at most 1024) and for a
 * presented one (a scope token, a JWT, at most 8192); and only such a token can go in the
 * Authorization header, where anything else (a line break, a character outside Latin-1, a
 * typographic quote pasted with it) makes fetch throw before sending. Null when usable,
 * else why not.
 */
function tokenProblem(token) {
  if (/\s/.test(token)) return 'it holds a space or a line break.';
  if (/[^\x21-\x7e]/.test(token)) return 'it holds a character other than printable ASCII (a typographic quote such as “ ” or ‘ ’ pasted with it?).';
  if (token.length < 16) return 'it is shorter than 16 characters.';
  if (token.length > 8192) return 'it is longer than 8192 characters.';
  return null;
}
const TOKEN_RULE = 'A token is 16 to 8192 printable ASCII characters (letters, digits, punctuation), without spaces or quotes around it.';

/** Shows the token field; `message` says why (a refused or unusable token, which is forgotten). */
function askForToken(message) {
  if (message !== null) sessionStorage.removeItem(TOKEN_KEY);
  ui.settings.hidden = true;
  // While a link's token awaits the person's choice, the choice comes first.
  if (state.linkPending) return;
  ui.tokenSection.hidden = false;
  announce(message ?? 'This server needs its API token.', message === null ? 'info' : 'error');
  ui.token.focus();
}

/** The reason a typed token was not kept, at its field; null clears it. */
function showTokenError(message) {
  ui.tokenError.textContent = message ?? '';
  ui.tokenError.hidden = message === null;
  if (message === null) ui.token.removeAttribute('aria-invalid');
  else ui.token.setAttribute('aria-invalid', 'true');
}

ui.tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = ui.token.value.trim();
  ui.token.value = '';
  if (token === '') return;
  const problem = tokenProblem(token);
  showTokenError(problem === null ? null : `This token cannot be used: ${problem} ${TOKEN_RULE}`);
  if (problem !== null) {
    announce('The token was not kept: see the token field.', 'error');
    ui.token.focus();
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  ui.tokenSection.hidden = true;
  void loadSettings({ focus: true });
});

// ---- a token in the address -------------------------------------------------------------

/**
 * A token handed over in the address (`/#token=…`, from an app that links here). Any site
 * can send a person to such an address with a token of its own (login CSRF: the person
 * would then save their key into the attacker's scope), so a link's token is never used
 * silently: the page asks the server who it stands for (whoami), says so ("Continue as
 * scope tenant-42 (read, write)?"), and keeps it for this tab only when the person presses
 * Use; Dismiss forgets it and keeps the tab's own token. A link's token for the admin is
 * refused: take that one in the token field only.
 *
 * The page takes the token out of the address bar and out of this tab's history entry at
 * once (history.replaceState), and the fragment never reaches the server. But the browser
 * has already recorded the whole address, token included, in its own history (and its
 * sync) before any script runs: a link with a token should carry a short-lived scope token
 * (`mint-token --ttl`), never the admin token.
 */
function takeTokenFromAddress() {
  const part = addressTokenPart();
  if (part === undefined) return null;
  // Out of the address first, whatever else the fragment holds or however it is spelled.
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  let token;
  try {
    token = decodeURIComponent(part.slice('token='.length));
  } catch {
    return { problem: 'The token in the link is not well encoded; it was not used.' };
  }
  const problem = tokenProblem(token);
  if (problem !== null) return { problem: `The token in the link cannot be used: ${problem} It was not used.` };
  return { token };
}

/** The fragment's `token=…` entry, if any. */
function addressTokenPart() {
  return location.hash.slice(1).split('&').find((entry) => entry.startsWith('token='));
}

/**
 * Offers the address's token, if any, then loads the settings: at once when there is none,
 * or it is the tab's own, or it is refused (the notice stays until dismissed); after the
 * person's choice when it is offered.
 */
async function takeLinkOffer() {
  const taken = takeTokenFromAddress();
  if (taken === null) return loadSettings();
  const offer = ++state.linkOffers;
  state.linkToken = null;
  state.linkPending = false;
  if (taken.problem !== undefined) {
    showLinkRefusal(taken.problem);
    return loadSettings();
  }
  const current = sessionStorage.getItem(TOKEN_KEY);
  if (taken.token === current) {
    ui.linkSection.hidden = true;
    return loadSettings();
  }
  state.linkPending = true;
  ui.settings.hidden = true;
  ui.tokenSection.hidden = true;
  ui.linkSection.hidden = true;
  announce('Checking the token in the link…');
  let caller;
  try {
    caller = (await api('GET', WHOAMI, { token: taken.token })).json;
  } catch (error) {
    if (offer !== state.linkOffers) return;
    state.linkPending = false;
    showLinkRefusal(
      error.status === 401
        ? 'The server refused the token in the link (expired, revoked, or not one of its own); it was not used.'
        : `The token in the link could not be checked (${describeProblem(error)}); it was not used.`,
    );
    return loadSettings();
  }
  if (offer !== state.linkOffers) return;
  if (caller?.kind !== 'scoped') {
    state.linkPending = false;
    showLinkRefusal('The token in the link stands for the administrator (every scope). The page takes that token in its token field only, never from a link: the browser keeps links in its history. It was not used.');
    return loadSettings();
  }
  state.linkToken = taken.token;
  const can = caller.can.length === 0 ? 'no permissions' : caller.can.join(', ');
  ui.linkTitle.textContent = 'Use the token from the link?';
  ui.linkText.textContent = `Continue as scope ${caller.scope} (${can})?`;
  ui.linkHint.textContent =
    'The link you opened carries a token for this scope. Use it only if you expected this link: what you then save, a provider key too, goes to that scope. ' +
    (current === null ? 'Dismiss forgets it.' : 'Use replaces the token this tab holds now; Dismiss forgets the link’s and keeps this tab’s.');
  ui.linkHint.hidden = false;
  ui.linkUse.hidden = false;
  ui.linkSection.hidden = false;
  announce('The link carries a token: check its scope below, then use or dismiss it.');
  // The safe choice has the focus: Enter does not take the link's token.
  ui.linkDismiss.focus();
}

/** Says why the link's token was not used, until the person dismisses the notice. */
function showLinkRefusal(message) {
  ui.linkTitle.textContent = 'The token in the link was not used';
  ui.linkText.textContent = message;
  ui.linkHint.hidden = true;
  ui.linkUse.hidden = true;
  ui.linkSection.hidden = false;
}

ui.linkUse.addEventListener('click', () => {
  const token = state.linkToken;
  if (token === null) return;
  state.linkToken = null;
  state.linkPending = false;
  ui.linkSection.hidden = true;
  sessionStorage.setItem(TOKEN_KEY, token);
  void loadSettings({ focus: true });
});
ui.linkDismiss.addEventListener('click', () => {
  const offered = state.linkToken !== null;
  state.linkToken = null;
  state.linkPending = false;
  ui.linkSection.hidden = true;
  // A refusal's notice sits above settings already loaded; an offer's waited for the choice.
  if (offered) void loadSettings({ focus: true });
});
// A link can also reach a tab already open on this page by its fragment alone (no new load).
window.addEventListener('hashchange', () => {
  if (addressTokenPart() !== undefined) void takeLinkOffer();
});

/**
 * Asks the server who the token stands for (nothing is decoded here): the admin, or one
 * scope and its permissions. A server without the route (older) is taken as the admin's.
 */
async function loadCaller() {
  try {
    state.caller = (await api('GET', WHOAMI)).json;
  } catch (error) {
    if (error.status === 401) throw error;
    state.caller = null;
  }
  showCaller();
}

function may(permission) {
  return state.caller === null || state.caller.can.includes(permission);
}

/** Names the scope, and hides what the token may not do (the server refuses it anyway). */
function showCaller() {
  ui.current.scope.textContent = state.caller?.kind === 'scoped' ? state.caller.scope : 'default';
  ui.saveButton.hidden = !may('write');
  ui.deleteSection.hidden = !may('write');
  ui.testButton.hidden = !may('test');
  ui.editSection.hidden = !may('write') && !may('test');
  if (!may('models')) state.modelListAvailable = false;
  ui.listModelsButton.hidden = !state.modelListAvailable;
}

// ---- current settings -----------------------------------------------------------------

/**
 * Builds the provider list from the providers the server enables, once. A server without
 * the route keeps the page's own list (Anthropic and OpenAI).
 */
async function loadProviders() {
  if (state.providersLoaded) return;
  try {
    const { json } = await api('GET', PROVIDERS);
    const options = json.providers.map((provider) => {
      PROVIDER_NAMES[provider.id] = provider.display_name;
      const option = document.createElement('option');
      option.value = provider.id;
      option.textContent = provider.display_name;
      option.dataset.keyRequired = String(provider.key_required);
      return option;
    });
    ui.provider.replaceChildren(...options);
    state.providersLoaded = true;
  } catch (error) {
    if (error.status === 401) throw error;
  }
}

/** Whether the provider chosen takes no key (a local server). */
function chosenProviderIsKeyless() {
  return ui.provider.selectedOptions[0]?.dataset.keyRequired === 'false';
}

/** A keyless provider needs no key: the field says so. */
function showKeyNeed() {
  ui.apiKey.placeholder = chosenProviderIsKeyless() ? 'Not needed: this provider takes no key' : '';
}

async function loadSettings({ focus = false } = {}) {
  try {
    await loadCaller();
    await loadProviders();
    const { json, etag } = await api('GET', SETTINGS);
    // A link's token arrived meanwhile: the person chooses first, then the settings load.
    if (state.linkPending) return;
    showView(json, etag);
    resetForm();
    ui.settings.hidden = false;
    ui.conflict.hidden = true;
    ui.modelNote.hidden = true;
    announce('Current settings loaded.');
    if (focus) ui.provider.focus();
    await Promise.all([loadModels(json.model), loadUsage()]);
  } catch (error) {
    if (error.status !== 401) announce(describeProblem(error), 'error');
  }
}

/** The last 30 UTC days of calls and tokens, newest first; hidden where the server counts no usage (404). */
async function loadUsage() {
  const day = (offset) => new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10);
  let rows;
  try {
    ({ json: { rows } } = await api('GET', `${USAGE}?from=${day(USAGE_DAYS - 1)}&to=${day(0)}`));
  } catch (error) {
    ui.usageSection.hidden = true;
    if (error.status !== 404 && error.status !== 401) announce(`Usage not loaded: ${describeProblem(error)}`, 'error');
    return;
  }
  // Text only: a model name is the provider's or the caller's data.
  ui.usageRows.replaceChildren(
    ...rows.reverse().map((row) => {
      const tr = document.createElement('tr');
      const counts = [row.calls, row.failed_calls, row.input_tokens, row.output_tokens, row.cached_input_tokens];
      for (const text of [row.date, PROVIDER_NAMES[row.provider] ?? row.provider, row.model]) tr.append(cell(text));
      for (const count of counts) tr.append(cell(count.toLocaleString(), 'number'));
      return tr;
    }),
  );
  ui.usageTable.hidden = rows.length === 0;
  ui.usageEmpty.hidden = rows.length > 0;
  ui.usageSection.hidden = false;
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function showView(view, etag) {
  state.view = view;
  state.etag = etag;
  const name = PROVIDER_NAMES[view.provider] ?? view.provider;
  ui.current.provider.textContent = view.provider_enabled === false ? `${name} (not enabled on this server: kept, not used)` : name;
  ui.current.model.textContent = view.model_verified === false ? `${view.model} (not in the built-in catalogue: unverified)` : view.model;
  ui.current.key.textContent = view.api_key_source === 'inherited' ? `inherited from scope ${view.inherit_from}` : view.api_key_set ? view.api_key_masked : 'none stored';
  ui.current.updated.replaceChildren(view.updated_at === null ? 'never: these are the defaults' : timeElement(view.updated_at));
}

function timeElement(iso) {
  const time = document.createElement('time');
  time.dateTime = iso;
  time.textContent = new Date(iso).toLocaleString();
  return time;
}

/** Puts the current provider and model in the form; a key being typed stays. */
function resetForm() {
  // A provider no longer enabled is not offered: the form starts at the first one.
  const offered = [...ui.provider.options].some((option) => option.value === state.view.provider);
  ui.provider.value = offered ? state.view.provider : (ui.provider.options[0]?.value ?? '');
  showKeyNeed();
  ui.modelOther.value = state.view.model;
}

// ---- models -------------------------------------------------------------------------

/**
 * Fills the model list for the chosen provider: the server's list (live from the stored
 * key, or its catalogue), or with `typedKey` the live list of the key being typed. A typed
 * key is sent only when the person asks (this list, Test, Save), never on its own: pasted
 * before the provider was chosen, it would go to the provider chosen at the time.
 * Without the model route (an older server), the free-text field alone remains.
 */
async function loadModels(wanted, { typedKey = false } = {}) {
  state.modelLoads += 1;
  ui.modelSelectField.setAttribute('aria-busy', 'true');
  try {
    await fillModelChoice(wanted, typedKey ? ui.apiKey.value.trim() : '');
  } finally {
    state.modelLoads -= 1;
    ui.modelSelectField.setAttribute('aria-busy', String(state.modelLoads > 0));
  }
}

async function fillModelChoice(wanted, candidateKey) {
  const provider = ui.provider.value;
  if (!state.modelListAvailable) return showModelChoice(null, wanted);
  try {
    const { json } =
      candidateKey === ''
        ? await api('GET', `${MODELS}?provider=${encodeURIComponent(provider)}`)
        : await api('POST', MODELS, { body: { provider, api_key: candidateKey } });
    if (ui.provider.value !== provider) return; // the person chose another provider meanwhile
    showModelChoice(json, wanted, candidateKey !== '');
  } catch (error) {
    if (error.status === 404 || error.status === 405) {
      state.modelListAvailable = false;
      ui.listModelsButton.hidden = true;
      showModelChoice(null, wanted);
    } else {
      // This time only: the free-text field still takes any id.
      showModelChoice(null, wanted);
      if (error.status !== 401) announce(`Could not list the models: ${describeProblem(error)}`, 'error');
    }
  }
}

function showModelChoice(list, wanted, fromCandidate = false) {
  const models = list?.models ?? [];
  ui.modelSelectField.hidden = list === null;
  ui.modelSelect.replaceChildren(
    ...models.map((model) => new Option(modelLabel(model), model.id)),
    new Option('Other model…', OTHER_MODEL),
  );
  const known = models.some((model) => model.id === wanted);
  const fallback = models.find((model) => model.default)?.id ?? models[0]?.id ?? OTHER_MODEL;
  // Keep what the person chose when the list has it; a typed id stays typed.
  ui.modelSelect.value = known ? wanted : wanted === '' || list === null ? fallback : OTHER_MODEL;
  if (ui.modelSelect.value === OTHER_MODEL) ui.modelOther.value = wanted;
  ui.modelSource.textContent = list === null ? '' : sourceText(list, fromCandidate);
  updateModelFields();
}

function modelLabel(model) {
  const name = model.display_name && model.display_name !== model.id ? `${model.display_name} (${model.id})` : model.id;
  return model.default ? `${name}: default` : name;
}

function sourceText(list, fromCandidate) {
  const key = fromCandidate ? 'the key you entered' : 'the stored key';
  if (list.source === 'live') return `${list.models.length} models, listed live by ${key}.`;
  // A key the provider refused, or could not be asked about, says so with the probe's code.
  const why = list.reason !== undefined && list.reason !== 'no_stored_key' && list.reason !== 'listing_disabled' ? ` ${capitalized(key)} did not list its models (${list.reason}).` : '';
  return `Built-in catalogue.${why}${list.message ? ` ${list.message}` : ''}`;
}

/** A sentence's first word, written after a full stop. */
function capitalized(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The free-text field shows when the list has no entry for the model, or there is no list. */
function updateModelFields() {
  ui.modelOtherField.hidden = !ui.modelSelectField.hidden && ui.modelSelect.value !== OTHER_MODEL;
}

function chosenModel() {
  if (!ui.modelSelectField.hidden && ui.modelSelect.value !== OTHER_MODEL) return ui.modelSelect.value;
  return ui.modelOther.value.trim();
}

// Another provider's models: its default is chosen unless the person picks another.
ui.provider.addEventListener('change', () => {
  showKeyNeed();
  void loadModels('');
});
ui.modelSelect.addEventListener('change', () => {
  if (ui.modelSelect.value === OTHER_MODEL) {
    updateModelFields();
    ui.modelOther.focus();
  } else {
    ui.modelOther.value = ui.modelSelect.value;
    updateModelFields();
  }
});
// A typed key lists its own models when asked, so the person picks one the key can use.
ui.listModelsButton.addEventListener('click', () => {
  if (ui.apiKey.value.trim() === '') {
    announce('Type a key first: the list shown is already the stored key\'s, or the catalogue.', 'info');
    ui.apiKey.focus();
    return;
  }
  void loadModels(chosenModel(), { typedKey: true });
});

// ---- test ---------------------------------------------------------------------------

ui.testButton.addEventListener('click', async () => {
  if (state.busy) return;
  const candidateKey = ui.apiKey.value.trim();
  const model = chosenModel();
  // An empty key field tests the stored settings, unless the provider chosen takes no key: that one is tested as chosen.
  const asChosen = candidateKey !== '' || chosenProviderIsKeyless();
  const body = asChosen ? { provider: ui.provider.value, ...(candidateKey === '' ? {} : { api_key: candidateKey }), ...(model === '' ? {} : { model }) } : undefined;
  announce('Testing…');
  const outcome = await whileBusy(() => api('POST', TEST, { body }));
  if (outcome.error) {
    if (outcome.error.status !== 401) announce(`Test not run: ${describeProblem(outcome.error)}`, 'error');
    return;
  }
  const result = outcome.value.json;
  showTestResult(result, asChosen ? 'the provider, key and model entered above' : 'the stored settings');
  announce(result.success ? 'Test succeeded.' : `Test failed: ${result.message}`, result.success ? 'success' : 'error');
});

function showTestResult(result, subject) {
  ui.testResult.hidden = false;
  ui.testResult.dataset.kind = result.success ? 'success' : 'error';
  ui.testOutcome.textContent = `${result.success ? '✓ Success' : '✗ Failed'}: ${result.message}`;
  ui.testSubject.textContent = subject;
  ui.testCode.textContent = result.code;
  ui.testLatency.textContent = result.latency_ms === null ? 'none (no answer)' : `${result.latency_ms} ms`;
}

// ---- save ---------------------------------------------------------------------------

ui.form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (state.busy) return;
  const model = chosenModel();
  const body = { provider: ui.provider.value, ...(model === '' ? {} : { model }) };
  // Read at the last moment and sent once; the field is emptied as soon as it is stored.
  const key = ui.apiKey.value.trim();
  if (key !== '') body.api_key = key;
  announce('Saving…');
  const outcome = await whileBusy(() => api('PUT', SETTINGS, { body, ifMatch: state.etag }));
  // A refused save keeps the key in the field, so that nothing typed is lost.
  if (outcome.error) return showWriteFailure(outcome.error, 'Not saved');
  ui.apiKey.value = '';
  const { json, etag } = outcome.value;
  showView(json, etag);
  resetForm();
  ui.conflict.hidden = true;
  ui.modelNote.hidden = json.model_verified !== false;
  ui.modelNote.textContent = `“${json.model}” is not in the built-in catalogue: saved, but unverified. Test it to be sure the provider knows it.`;
  announce('Settings saved.', 'success');
  await loadModels(json.model);
});

/** A 412 offers to reload; a 401 has already asked for the token. */
function showWriteFailure(error, what) {
  if (error.status === 412) showConflict();
  else if (error.status !== 401) announce(`${what}: ${describeProblem(error)}`, 'error');
}

function showConflict() {
  ui.conflict.hidden = false;
  announce('Not applied: the settings were changed elsewhere since this page loaded them. Reload them, then try again.', 'error');
  ui.reload.focus();
}

ui.reload.addEventListener('click', () => {
  if (!state.busy) void loadSettings({ focus: true });
});

// ---- delete -------------------------------------------------------------------------

ui.deleteButton.addEventListener('click', () => {
  if (!state.busy) ui.deleteDialog.showModal();
});
ui.deleteCancel.addEventListener('click', () => ui.deleteDialog.close());
ui.deleteConfirm.addEventListener('click', async () => {
  ui.deleteDialog.close();
  const outcome = await whileBusy(() => api('DELETE', SETTINGS, { ifMatch: state.etag }));
  if (outcome.error) return showWriteFailure(outcome.error, 'Not deleted');
  ui.apiKey.value = '';
  await loadSettings();
  // A scope linked to another (a link only the operator sets or removes) now uses that one's settings.
  const parent = state.view?.inherit_from ?? null;
  announce(parent === null ? 'Settings deleted; the defaults apply.' : `Settings deleted; this scope now uses those of scope ${parent}.`, 'success');
});

void takeLinkOffer();
