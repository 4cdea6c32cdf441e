/**
 * Responses API input items as Hub chat messages: messages of every role with their text and image parts,
 * function and custom tool calls (consecutive ones merged into one assistant turn, under the names the
 * tools were offered by: see tools.ts) and their outputs. Reasoning and hosted search items a client sends
 * back are dropped (the Hub cannot read them; the answer they led to is in the conversation). Items the Hub
 * cannot take (file parts, other tools' calls, item references) are refused with a 400 naming the item.
 */
import { bad, invalid, isObject } from '#shared/responses/checks.ts';
import { customArguments, type TranslatedTools } from '#shared/responses/tools.ts';

type Json = Record<string, unknown>;

/** A chat message of the Hub's API. */
export type ChatMessage = Json & { role: 'system' | 'user' | 'assistant' | 'tool' };

/** Text of content parts (`input_text`, `output_text`), for the roles whose content the Hub takes as text. */
function partText(part: unknown, param: string): string {
  if (isObject(part) && (part.type === 'input_text' || part.type === 'output_text') && typeof part.text === 'string') return part.text;
  if (isObject(part) && part.type === 'refusal' && typeof part.refusal === 'string') return part.refusal;
  throw invalid(param, `${param} must be an input_text or output_text part here.`);
}

/** A user message's content: text, or text and image parts. */
function userContent(content: unknown, param: string): unknown {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw invalid(param, `${param} must be a string or a list of content parts.`);
  return content.map((part, i) => {
    const where = `${param}[${i}]`;
    if (isObject(part) && part.type === 'input_image') {
      if (typeof part.image_url !== 'string') throw bad(where, `${where}: only images given by "image_url" are supported (no file_id).`);
      return { type: 'image_url', image_url: { url: part.image_url, ...(typeof part.detail === 'string' ? { detail: part.detail } : {}) } };
    }
    if (isObject(part) && part.type === 'input_file') throw bad(where, `${where}: input_file parts are not supported by the Hub.`);
    return { type: 'text', text: partText(part, where) };
  });
}

/** Text of a tool's output (a string, or input_text parts). */
function outputText(output: unknown, param: string): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return output.map((p, i) => partText(p, `${param}[${i}]`)).join('');
  throw invalid(param, `${param} must be a string.`);
}

/** `input` (and `instructions`) as chat messages. Consecutive function calls become one assistant turn. */
export function toMessages(input: unknown, instructions: unknown, tools: Pick<TranslatedTools, 'chatName'>): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (instructions !== undefined && instructions !== null) {
    if (typeof instructions !== 'string') throw invalid('instructions', '"instructions" must be a string.');
    messages.push({ role: 'system', content: instructions });
  }
  if (typeof input === 'string') return [...messages, { role: 'user', content: input }];
  if (!Array.isArray(input) || input.length === 0) throw invalid('input', '"input" must be a string or a non-empty list of items.');
  for (const [i, item] of input.entries()) {
    const param = `input[${i}]`;
    if (!isObject(item)) throw invalid(param, `${param} must be an object.`);
    const type = item.type ?? 'message';
    if (type === 'message') {
      const role = item.role === 'developer' ? 'system' : item.role;
      if (role === 'user') messages.push({ role, content: userContent(item.content, `${param}.content`) });
      else if (role === 'system' || role === 'assistant') {
        const text = typeof item.content === 'string' ? item.content : undefined;
        const parts = Array.isArray(item.content) ? item.content.map((p, j) => partText(p, `${param}.content[${j}]`)).join('') : text;
        if (parts === undefined) throw invalid(`${param}.content`, `${param}.content must be a string or a list of text parts.`);
        messages.push({ role, content: parts });
      } else throw invalid(`${param}.role`, `${param}.role must be user, assistant, system or developer.`);
    } else if (type === 'function_call' || type === 'custom_tool_call') {
      const body = type === 'function_call' ? item.arguments : item.input;
      if (typeof item.call_id !== 'string' || typeof item.name !== 'string' || typeof body !== 'string') {
        const field = type === 'function_call' ? 'arguments' : 'input';
        throw invalid(param, `${param}: a ${type} needs "call_id", "name" and "${field}" (strings).`);
      }
      const name = tools.chatName(item.name, typeof item.namespace === 'string' ? item.namespace : undefined);
      const args = type === 'function_call' ? body : customArguments(body);
      const call = { id: item.call_id, type: 'function', function: { name, arguments: args } };
      const last = messages.at(-1);
      if (last?.role === 'assistant' && Array.isArray(last.tool_calls)) last.tool_calls.push(call);
      else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      if (typeof item.call_id !== 'string') throw invalid(`${param}.call_id`, `${param}: a ${type} needs "call_id".`);
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: outputText(item.output, `${param}.output`) });
    } else if (type === 'reasoning' || type === 'web_search_call') {
      continue; // what the Hub cannot read, sent back as clients do: dropped (see the module comment)
    } else {
      throw bad(`${param}.type`, `${param}: items of type ${JSON.stringify(type).slice(0, 60)} are not supported by the Hub.`);
    }
  }
  return messages;
}
