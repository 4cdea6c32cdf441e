// A minimal agent UI, bundled by test/integration/threads-browser.test.ts: one thread through the SDK's React
// `useStream` hook, as LangGraph agent UIs use it. The API's URL and key come from the page's query; the
// thread id is kept in the URL (`?thread=`), so a reload shows the same thread, read back from the API.
import { useStream } from '@langchain/langgraph-sdk/react';
import { createElement as h, useState } from 'react';
import { createRoot } from 'react-dom/client';

// The page runs in a browser; the project's type-check has no DOM library, so the little it uses is declared.
declare const location: { search: string; href: string };
declare const history: { replaceState(state: null, unused: string, url: URL): void };
declare const document: { getElementById(id: string): unknown };

const query = new URLSearchParams(location.search);

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: { type?: string; text?: string }) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
}

function App() {
  const [threadId, setThreadId] = useState<string | null>(query.get('thread'));
  const [draft, setDraft] = useState('');
  const stream = useStream({
    apiUrl: query.get('api') ?? '',
    apiKey: query.get('key') ?? undefined,
    assistantId: 'agent',
    messagesKey: 'messages',
    threadId,
    onThreadId: (id: string) => {
      setThreadId(id);
      const url = new URL(location.href);
      url.searchParams.set('thread', id);
      history.replaceState(null, '', url);
    },
  });
  const send = () => {
    void stream.submit({ messages: [{ type: 'human', content: draft }] });
    setDraft('');
  };
  return h(
    'main',
    null,
    h(
      'ol',
      { id: 'messages' },
      stream.messages.map((m) => h('li', { key: m.id, className: m.type }, textOf(m.content))),
    ),
    h('p', { id: 'status' }, stream.isLoading ? 'loading' : 'idle'),
    stream.error ? h('p', { id: 'error' }, String(stream.error)) : null,
    h('input', { id: 'draft', value: draft, onChange: (e: { target: { value: string } }) => setDraft(e.target.value) }),
    h('button', { id: 'send', onClick: send }, 'Send'),
  );
}

createRoot(document.getElementById('root') as Parameters<typeof createRoot>[0]).render(h(App));
