// Which node this console talks to. It starts with the node that served
// the page (same origin) and learns every member's API address from
// /v1/cluster. When that node stops answering (a request cannot connect,
// or its event stream falls silent past two keep-alives) the console moves
// to another member, the leader first when one is known, and says so; the
// members grant each other's consoles (CORS) and the page's CSP lists them.

/** How long a member may take to answer /readyz while the console looks for a new node. */
const PROBE_TIMEOUT_MS = 1500;

export class Serving {
  constructor() {
    this.base = ''; // '' is the node that served the page
    this.nodeId = null; // the node answering now
    this.pageNodeId = null; // the node that served the page
    this.leaderId = null;
    this.members = new Map(); // id -> base URL ('' for the page's own node)
    this.moves = []; // {from, to, at, why}, oldest first
  }

  /** The URL of an API path on the node answering now. */
  url(path) {
    return this.base + path;
  }

  /** Learns the members and the leader from the answering node's /v1/cluster. */
  learn(cluster) {
    if (this.pageNodeId === null && this.base === '') this.pageNodeId = cluster.node_id;
    this.nodeId = cluster.node_id;
    this.leaderId = cluster.leader_id ?? null;
    for (const member of cluster.members) {
      this.members.set(member.id, member.id === this.pageNodeId ? '' : memberBase(member.api_addr));
    }
  }

  /**
   * Moves to another member that answers: a ready one that leads, else any
   * ready one, else any alive (an election may be under way). Resolves to
   * the move, or null when no other member answers.
   */
  async move(why) {
    const from = this.nodeId;
    const others = [...this.members].filter(([id]) => id !== from);
    const answers = await Promise.all(others.map(([id, base]) => probe(id, base)));
    const leads = (answer) => answer.ready && (answer.leaderId === answer.id || answer.id === this.leaderId);
    const chosen = answers.find(leads) ?? answers.find((a) => a.ready) ?? answers.find((a) => a.alive);
    if (!chosen) return null;
    this.base = chosen.base;
    this.nodeId = chosen.id;
    if (chosen.leaderId !== null) this.leaderId = chosen.leaderId;
    const move = { from, to: chosen.id, at: Date.now(), why };
    this.moves.push(move);
    return move;
  }
}

/** A member's API origin; one on a wildcard address is reached by the page's own host name. */
function memberBase(apiAddr) {
  const wildcard = /^(?:0\.0\.0\.0|\[::\]):(\d+)$/.exec(apiAddr);
  const host = wildcard ? `${location.hostname}:${wildcard[1]}` : apiAddr;
  return `${location.protocol}//${host}`;
}

/** Whether member `id` answers /readyz in time, and the leader it knows. */
async function probe(id, base) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), PROBE_TIMEOUT_MS);
  try {
    const response = await fetch(`${base}/readyz`, { cache: 'no-store', signal: controller.signal });
    const body = await response.json().catch(() => null);
    return { id, base, alive: true, ready: response.ok, leaderId: body?.leader_id ?? null };
  } catch {
    return { id, base, alive: false, ready: false, leaderId: null };
  } finally {
    clearTimeout(timer);
  }
}
