import { expect } from 'vitest';

/** Saves each scope's settings through the API with `token`, as an operator would; fails the test on any answer but 200. */
export async function storeSettings(serverUrl: string, token: string, settingsByScope: Record<string, object>): Promise<void> {
  for (const [scope, settings] of Object.entries(settingsByScope)) {
    const response = await fetch(`${serverUrl}/api/settings/llm`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'llm-settings-scope': scope },
      body: JSON.stringify(settings),
    });
    expect(response.status, scope).toBe(200);
  }
}
