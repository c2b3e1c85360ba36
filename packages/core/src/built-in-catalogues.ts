/** A model as the model lists show it. */
export interface CatalogueModel {
  /** The id to send to the provider. */
  readonly id: string;
  readonly displayName: string;
}

/*
 * The built-in catalogues: current models of each built-in provider, newest first,
 * aliases before their dated snapshots. They answer when no key can list the provider's
 * models. Each provider's default model is one of its entries (a test holds them together).
 */

export const ANTHROPIC_MODELS: readonly CatalogueModel[] = [
  { id: 'claude-opus-4-6', displayName: 'Claude Opus 4.6' },
  { id: 'claude-sonnet-4-6', displayName: 'Claude Sonnet 4.6' },
  { id: 'claude-opus-4-5', displayName: 'Claude Opus 4.5' },
  { id: 'claude-opus-4-5-20251101', displayName: 'Claude Opus 4.5' },
  { id: 'claude-sonnet-4-5', displayName: 'Claude Sonnet 4.5' },
  { id: 'claude-sonnet-4-5-20250929', displayName: 'Claude Sonnet 4.5' },
  { id: 'claude-haiku-4-5', displayName: 'Claude Haiku 4.5' },
  { id: 'claude-haiku-4-5-20251001', displayName: 'Claude Haiku 4.5' },
  { id: 'claude-opus-4-1', displayName: 'Claude Opus 4.1' },
  { id: 'claude-opus-4-1-20250805', displayName: 'Claude Opus 4.1' },
  { id: 'claude-opus-4-0', displayName: 'Claude Opus 4' },
  { id: 'claude-opus-4-20250514', displayName: 'Claude Opus 4' },
  { id: 'claude-sonnet-4-0', displayName: 'Claude Sonnet 4' },
  { id: 'claude-sonnet-4-20250514', displayName: 'Claude Sonnet 4' },
  { id: 'claude-3-7-sonnet-latest', displayName: 'Claude Sonnet 3.7' },
  { id: 'claude-3-7-sonnet-20250219', displayName: 'Claude Sonnet 3.7' },
  { id: 'claude-3-5-haiku-latest', displayName: 'Claude Haiku 3.5' },
  { id: 'claude-3-5-haiku-20241022', displayName: 'Claude Haiku 3.5' },
  { id: 'claude-3-haiku-20240307', displayName: 'Claude Haiku 3' },
];

export const OPENAI_MODELS: readonly CatalogueModel[] = [
  { id: 'gpt-5.1', displayName: 'GPT-5.1' },
  { id: 'gpt-5', displayName: 'GPT-5' },
  { id: 'gpt-5-mini', displayName: 'GPT-5 mini' },
  { id: 'gpt-5-nano', displayName: 'GPT-5 nano' },
  { id: 'gpt-4.1', displayName: 'GPT-4.1' },
  { id: 'gpt-4.1-mini', displayName: 'GPT-4.1 mini' },
  { id: 'gpt-4.1-nano', displayName: 'GPT-4.1 nano' },
  { id: 'gpt-4o', displayName: 'GPT-4o' },
  { id: 'gpt-4o-mini', displayName: 'GPT-4o mini' },
  { id: 'o3', displayName: 'o3' },
  { id: 'o3-pro', displayName: 'o3-pro' },
  { id: 'o3-mini', displayName: 'o3-mini' },
  { id: 'o4-mini', displayName: 'o4-mini' },
  { id: 'o1', displayName: 'o1' },
];

/** OpenRouter names models `<vendor>/<model>`. */
export const OPENROUTER_MODELS: readonly CatalogueModel[] = [
  { id: 'openai/gpt-4o', displayName: 'OpenAI: GPT-4o' },
  { id: 'openai/gpt-4o-mini', displayName: 'OpenAI: GPT-4o mini' },
  { id: 'anthropic/claude-sonnet-4.5', displayName: 'Anthropic: Claude Sonnet 4.5' },
  { id: 'google/gemini-2.5-flash', displayName: 'Google: Gemini 2.5 Flash' },
  { id: 'meta-llama/llama-3.3-70b-instruct', displayName: 'Meta: Llama 3.3 70B Instruct' },
  { id: 'deepseek/deepseek-chat', displayName: 'DeepSeek: DeepSeek V3' },
];

export const GEMINI_MODELS: readonly CatalogueModel[] = [
  { id: 'gemini-2.5-pro', displayName: 'Gemini 2.5 Pro' },
  { id: 'gemini-2.5-flash', displayName: 'Gemini 2.5 Flash' },
  { id: 'gemini-2.5-flash-lite', displayName: 'Gemini 2.5 Flash-Lite' },
  { id: 'gemini-2.0-flash', displayName: 'Gemini 2.0 Flash' },
];

export const MISTRAL_MODELS: readonly CatalogueModel[] = [
  { id: 'mistral-large-latest', displayName: 'Mistral Large' },
  { id: 'mistral-medium-latest', displayName: 'Mistral Medium' },
  { id: 'mistral-small-latest', displayName: 'Mistral Small' },
  { id: 'codestral-latest', displayName: 'Codestral' },
  { id: 'mistral-embed', displayName: 'Mistral Embed' },
];

export const GROQ_MODELS: readonly CatalogueModel[] = [
  { id: 'llama-3.3-70b-versatile', displayName: 'Llama 3.3 70B Versatile' },
  { id: 'llama-3.1-8b-instant', displayName: 'Llama 3.1 8B Instant' },
  { id: 'openai/gpt-oss-120b', displayName: 'GPT-OSS 120B' },
  { id: 'openai/gpt-oss-20b', displayName: 'GPT-OSS 20B' },
];

/** api-docs.deepseek.com: deepseek-chat and deepseek-reasoner were retired on 2026-07-24 for these. */
export const DEEPSEEK_MODELS: readonly CatalogueModel[] = [
  { id: 'deepseek-v4-flash', displayName: 'DeepSeek V4 Flash' },
  { id: 'deepseek-v4-pro', displayName: 'DeepSeek V4 Pro' },
];

export const XAI_MODELS: readonly CatalogueModel[] = [
  { id: 'grok-4-1-fast-reasoning', displayName: 'Grok 4.1 Fast (reasoning)' },
  { id: 'grok-4-1-fast-non-reasoning', displayName: 'Grok 4.1 Fast (non-reasoning)' },
  { id: 'grok-code-fast-1', displayName: 'Grok Code Fast 1' },
  { id: 'grok-4', displayName: 'Grok 4' },
  { id: 'grok-3', displayName: 'Grok 3' },
  { id: 'grok-3-mini', displayName: 'Grok 3 mini' },
];

/** Azure OpenAI: the model name is the operator's deployment name; these are the usual ones. */
export const AZURE_OPENAI_MODELS: readonly CatalogueModel[] = [
  { id: 'gpt-4o', displayName: 'GPT-4o' },
  { id: 'gpt-4o-mini', displayName: 'GPT-4o mini' },
  { id: 'gpt-4.1', displayName: 'GPT-4.1' },
  { id: 'gpt-4.1-mini', displayName: 'GPT-4.1 mini' },
];

export const OLLAMA_MODELS: readonly CatalogueModel[] = [
  { id: 'llama3.2', displayName: 'Llama 3.2' },
  { id: 'llama3.1', displayName: 'Llama 3.1' },
  { id: 'qwen2.5', displayName: 'Qwen 2.5' },
  { id: 'mistral', displayName: 'Mistral 7B' },
  { id: 'gemma3', displayName: 'Gemma 3' },
];
