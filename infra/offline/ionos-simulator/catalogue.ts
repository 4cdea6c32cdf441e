/**
 * What the simulated IONOS serves: a model catalogue with the capabilities the simulator enforces
 * (kind, tool support, embedding size) and demo fine-tuned Studio models. Simulated data, not IONOS's list.
 */

/** One simulated Hub model. */
export interface SimModel {
  id: string;
  owned_by: string;
  kind: 'chat' | 'embedding' | 'image' | 'rerank';
  /** Chat models only: whether the model accepts `tools` (a 400 otherwise, as the Hub answers). */
  tools?: boolean;
  /** Chat models only: a reasoning model, which answers with `reasoning_content` beside the text (as vLLM serves them). */
  reasoning?: boolean;
  /** Embedding models only: vector length. */
  dimensions?: number;
}

/** The Hub models the simulator lists and serves. */
export const HUB_MODELS: readonly SimModel[] = [
  { id: 'meta-llama/Llama-3.3-70B-Instruct', owned_by: 'meta-llama', kind: 'chat', tools: true },
  { id: 'mistralai/Mistral-Small-24B-Instruct', owned_by: 'mistralai', kind: 'chat', tools: true },
  { id: 'openai/gpt-oss-120b', owned_by: 'openai', kind: 'chat', tools: true, reasoning: true },
  // A chat model that refuses `tools`, so clients' tool-less fallbacks can be exercised.
  { id: 'meta-llama/Meta-Llama-3-70B-Instruct', owned_by: 'meta-llama', kind: 'chat', tools: false },
  { id: 'intfloat/e5-large-v2', owned_by: 'intfloat', kind: 'embedding', dimensions: 1024 },
  { id: 'BAAI/bge-m3', owned_by: 'BAAI', kind: 'embedding', dimensions: 1024 },
  { id: 'BAAI/bge-reranker-v2-m3', owned_by: 'BAAI', kind: 'rerank' },
  { id: 'stabilityai/stable-diffusion-xl-base-1.0', owned_by: 'stabilityai', kind: 'image' },
  { id: 'black-forest-labs/FLUX.1-schnell', owned_by: 'black-forest-labs', kind: 'image' },
];

/** Demo fine-tuned Studio models (name → UUID) that the simulated Studio knows. */
export const STUDIO_MODELS: Readonly<Record<string, string>> = {
  'qwen-gdpr-demo': '7b19cae7-0983-4a6b-a03c-a647db48f00b',
  'granite-gdpr-demo': '2f0e6b84-5c1d-4a3e-9b7f-0c8d1e2a3b4c',
};

/** Creation time reported for every model (fixed, so answers are reproducible). */
export const MODEL_CREATED = 1_735_689_600;

/** Rough token count: IONOS counts with the model's tokenizer; four characters a token is close enough here. */
export function countTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}
