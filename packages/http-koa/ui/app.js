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

/** What the page knows of the server: the view shown, its ETag, and whether the model route exists. */
const state = { view: null, etag: null, modelListAvailable: true, modelLoads: 0, busy: false, providersLoaded: false, caller: null, addressTokenUnreadable: false };

/** An answer the page cannot use: a problem document (RFC 9457) or a network failure. */
class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** Calls the API with the tab's token; a 401 asks for the token and rejects. */
async function api(method, path, { body, ifMatch } = {}) {
  const headers = { accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (ifMatch) headers['if-match'] = ifMatch;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new ApiError(0, { title: 'Server unreachable', detail: 'The server could not be reached; check that it is running.' });
  }
  const text = await response.text();
  const json = text === '' ? null : parseJson(text);
  if (response.status === 401) {
    askForToken(token !== null);
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

function askForToken(refused) {
  if (refused) sessionStorage.removeItem(TOKEN_KEY);
  ui.settings.hidden = true;
  ui.tokenSection.hidden = false;
  if (state.addressTokenUnreadable) announce('The token in the address is not well encoded; enter it here.', 'error');
  else announce(refused ? 'The API token was refused; enter it again.' : 'This server needs its API token.', refused ? 'error' : 'info');
  state.addressTokenUnreadable = false;
  ui.token.focus();
}

/**
 * A token handed over in the address (`/#token=…`, from an app that links here): kept for
 * this tab like a typed one, and taken out of the address bar and the history at once, so
 * that it is neither shown, bookmarked nor sent on. The fragment never reaches the server.
 */
function takeTokenFromAddress() {
  const part = location.hash.slice(1).split('&').find((entry) => entry.startsWith('token='));
  if (part === undefined) return;
  // Out of the address first, whatever else the fragment holds or however it is spelled.
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  try {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(part.slice('token='.length)));
  } catch {
    // Said when the token is asked for: the page's first answer would cover it.
    state.addressTokenUnreadable = true;
  }
}

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

ui.tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = ui.token.value.trim();
  ui.token.value = '';
  if (token === '') return;
  sessionStorage.setItem(TOKEN_KEY, token);
  ui.tokenSection.hidden = true;
  void loadSettings({ focus: true });
});

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

/** A keyless provider (a local server) needs no key: the field says so. */
function showKeyNeed() {
  const keyless = ui.provider.selectedOptions[0]?.dataset.keyRequired === 'false';
  ui.apiKey.placeholder = keyless ? 'Not needed: this provider takes no key' : '';
}

async function loadSettings({ focus = false } = {}) {
  try {
    await loadCaller();
    await loadProviders();
    const { json, etag } = await api('GET', SETTINGS);
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
  ui.current.key.textContent = view.api_key_set ? view.api_key_masked : 'none stored';
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
  const body = candidateKey === '' ? undefined : { provider: ui.provider.value, api_key: candidateKey, ...(model === '' ? {} : { model }) };
  announce('Testing…');
  const outcome = await whileBusy(() => api('POST', TEST, { body }));
  if (outcome.error) {
    if (outcome.error.status !== 401) announce(`Test not run: ${describeProblem(outcome.error)}`, 'error');
    return;
  }
  const result = outcome.value.json;
  showTestResult(result, candidateKey === '' ? 'the stored settings' : 'the key and model entered above');
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
  announce('Settings deleted; the defaults apply.', 'success');
});

takeTokenFromAddress();
void loadSettings();
