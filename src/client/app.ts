// The demo page: shows where sioroute sent this browser, and proves the connection with echo,
// whoami and a chat that crosses workers. End-to-end tests read <body data-state data-worker-id>.
import { CHAT_TEXT_MAX } from '../protocol/wire.js';
import type { ChatMessage, WhoAmI, WsEndpoint } from '../protocol/wire.js';
import { connect, isWsEndpoint } from './index.js';
import type { RoutedSocket, RoutedSocketInfo, RoutedSocketState } from './index.js';
import { byId } from './page-element.js';

declare global {
  interface Window {
    /** The page's routed socket, for end-to-end tests and the console. */
    sioroute: RoutedSocket;
  }
}

const ECHO_INTERVAL_MS = 2_000;
const CHAT_LOG_MAX = 100;
const KNOWN_TRANSPORTS = new Set(['polling', 'websocket']);

const ui = {
  lead: byId('lead'),
  state: byId('state'),
  workerId: byId('worker-id'),
  transport: byId('transport'),
  echoRtt: byId('echo-rtt'),
  whoami: byId('whoami'),
  error: byId('error'),
  chatForm: byId<HTMLFormElement>('chat-form'),
  chatInput: byId<HTMLInputElement>('chat-input'),
  chatLog: byId<HTMLUListElement>('chat-log'),
  chatStatus: byId('chat-status'),
};

/** The endpoint the front rendered into the page; null when none was live or it is unreadable. */
function readEmbeddedEndpoint(): WsEndpoint | null {
  try {
    const value: unknown = JSON.parse(document.getElementById('ws-endpoint')?.textContent ?? '');
    return isWsEndpoint(value) ? value : null;
  } catch {
    return null;
  }
}

/** `?transports=polling` (or `websocket`, or both comma-separated); undefined keeps socket.io's default. */
function readTransports(): string[] | undefined {
  const raw = new URLSearchParams(location.search).get('transports');
  const list = (raw ?? '').split(',').map((t) => t.trim()).filter((t) => KNOWN_TRANSPORTS.has(t));
  return list.length > 0 ? list : undefined;
}

let wasConnected = false;

function render(state: RoutedSocketState, info: RoutedSocketInfo): void {
  document.body.dataset.state = state;
  document.body.dataset.workerId = info.workerId ?? '';
  document.body.dataset.transport = info.transport ?? '';
  ui.state.textContent = state;
  ui.state.dataset.state = state;
  ui.workerId.textContent = info.workerId ?? '';
  ui.transport.textContent = info.transport ?? '';
  ui.error.textContent = info.error ? `${info.error.code}: ${info.error.message}` : '';
  renderLead(state, info.workerId);

  const connected = state === 'connected';
  if (connected && !wasConnected) {
    void askWhoAmI();
    void measureEcho();
  }
  if (!connected) {
    ui.whoami.textContent = '';
    delete ui.whoami.dataset.pid;
    delete ui.whoami.dataset.address;
    ui.echoRtt.textContent = '';
  }
  wasConnected = connected;
}

function renderLead(state: RoutedSocketState, workerId: string | null): void {
  if (workerId !== null) {
    const strong = document.createElement('strong');
    strong.textContent = workerId;
    ui.lead.replaceChildren('sioroute routed you directly to worker ', strong, ', with no sticky proxy in between.');
  } else if (state === 'failed') {
    ui.lead.textContent = 'No worker is reachable right now; still trying.';
  } else {
    ui.lead.textContent = 'Looking for a worker…';
  }
}

async function askWhoAmI(): Promise<void> {
  let me: WhoAmI;
  try {
    me = await socket.emitWithAck('whoami');
  } catch {
    return;
  }
  // An answer that crossed a reconnect describes a connection that is gone.
  if (me.workerId !== socket.currentWorkerId) return;
  ui.whoami.textContent = `pid ${me.pid}, sees you as ${me.address}`;
  ui.whoami.dataset.pid = String(me.pid);
  ui.whoami.dataset.address = me.address;
}

let echoInFlight = false;

async function measureEcho(): Promise<void> {
  if (echoInFlight || socket.state !== 'connected') return;
  echoInFlight = true;
  const workerId = socket.currentWorkerId;
  try {
    const back: unknown = await socket.emitWithAck('echo', { sentAt: performance.now() });
    const sentAt = typeof back === 'object' && back !== null ? (back as { sentAt?: unknown }).sentAt : undefined;
    // A resend on another connection would measure the reconnect, not the round trip.
    if (typeof sentAt === 'number' && socket.currentWorkerId === workerId) {
      ui.echoRtt.textContent = `${Math.round(performance.now() - sentAt)} ms`;
    }
  } catch {
    // Only on close or after repeated resends; the state badge already tells the story.
  } finally {
    echoInFlight = false;
  }
}

function isChatMessage(value: unknown): value is ChatMessage {
  const m = value as Partial<ChatMessage> | null;
  return typeof m === 'object' && m !== null && typeof m.from === 'string' && typeof m.text === 'string' && Number.isFinite(m.at);
}

function appendChat(message: unknown): void {
  if (!isChatMessage(message)) return;
  const log = ui.chatLog;
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const at = new Date(message.at);
  const time = document.createElement('time');
  time.dateTime = at.toISOString();
  time.textContent = at.toLocaleTimeString();
  const from = document.createElement('span');
  from.className = 'from';
  from.textContent = message.from;
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = message.text;
  const li = document.createElement('li');
  li.append(time, ' ', from, ' ', text);
  log.append(li);
  while (log.children.length > CHAT_LOG_MAX) log.firstElementChild?.remove();
  if (atBottom) log.scrollTop = log.scrollHeight;
}

let chatsSending = 0;

async function sendChat(text: string): Promise<void> {
  chatsSending += 1;
  ui.chatStatus.textContent = 'Sending…';
  try {
    const ack = await socket.emitWithAck('chat:send', text);
    ui.chatStatus.textContent = ack.ok ? '' : `Not sent: ${ack.error ?? 'refused by the server'}`;
  } catch (err) {
    ui.chatStatus.textContent = `Not sent: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    chatsSending -= 1;
    if (chatsSending === 0 && ui.chatStatus.textContent === 'Sending…') ui.chatStatus.textContent = '';
  }
}

const socket = connect({
  initialEndpoint: readEmbeddedEndpoint(),
  transports: readTransports(),
  onStateChange: render,
});
window.sioroute = socket;
socket.on('chat:message', appendChat);
render(socket.state, socket.info);

ui.chatInput.maxLength = CHAT_TEXT_MAX;
ui.chatForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.chatInput.value.trim();
  if (text === '') return;
  ui.chatInput.value = '';
  void sendChat(text);
});

setInterval(() => void measureEcho(), ECHO_INTERVAL_MS);
