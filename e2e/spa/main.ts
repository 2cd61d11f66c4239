// A single-page app as a team would write it: it imports sioroute/client from its package and is
// bundled by a real bundler (esbuild). Served from its own origin; the front is elsewhere.
import { connect } from 'sioroute/client';

interface SpaEvents {
  echo: (payload: unknown, ack: (payload: unknown) => void) => void;
  whoami: (ack: (me: { workerId: string; pid: number }) => void) => void;
}

const frontUrl = new URLSearchParams(location.search).get('front') ?? '';
const socket = connect<Record<string, never>, SpaEvents>({ endpointUrl: `${frontUrl}/ws-endpoint` });
socket.on('sioroute:state', (state, info) => {
  document.body.dataset.state = state;
  document.body.dataset.workerId = info.workerId ?? '';
});
(window as unknown as { spa: typeof socket }).spa = socket;
