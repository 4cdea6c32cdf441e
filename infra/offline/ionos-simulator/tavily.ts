/**
 * A stand-in for Tavily's search API (`POST /search`, bearer API key), so the agent's web_search tool runs
 * offline. Results are deterministic: titles and excerpts derived from the query, URLs under example.com.
 */
import type { JsonAnswer } from './hub.ts';

/** `POST /tavily/search`. */
export function tavilySearch(body: Record<string, unknown>): JsonAnswer {
  const query = typeof body.query === 'string' ? body.query.trim() : '';
  if (query === '') return { status: 400, json: { detail: { error: 'Query is missing.' } } };
  const count = typeof body.max_results === 'number' ? Math.min(Math.max(1, body.max_results), 20) : 5;
  const slug = encodeURIComponent(query.toLowerCase().replace(/\s+/g, '-').slice(0, 60));
  const results = Array.from({ length: count }, (_, i) => ({
    title: `Simulated result ${i + 1} for "${query}"`,
    url: `https://example.com/${slug}/${i + 1}`,
    content: `Simulated page excerpt ${i + 1} about ${query}.`,
    score: Number((1 - i / (count + 1)).toFixed(3)),
    raw_content: null,
  }));
  return { status: 200, json: { query, follow_up_questions: null, answer: null, images: [], results, response_time: 0.01 } };
}
