/**
 * Contract suites: each registers vitest tests for one adapter of one port.
 * Call them at the top level of a test file (during collection).
 */
