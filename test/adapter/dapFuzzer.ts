/**
 * A fuzzing campaign against the adapter's protocol edge, for
 * `npm run fuzz:dap` (scripts/fuzz-dap.ts) and, short, for the tests.
 *
 * It launches a real Guest under the adapter, then sends frames chosen by a
 * seeded generator (dapAbuse.ts): requests of every kind the adapter answers
 * (its capabilities say which), lguest's own, and some it does not answer,
 * with arguments right or spoiled; and frames that are broken (not JSON,
 * null, a Content-Length too short or too long, no header, garbage bytes).
 * After each batch it checks that the adapter still answers a plain request
 * and has not died; a request not answered within a generous bound is a
 * hang. When a session ends (the Guest powered off or was killed, a
 * terminate, a disconnect), the next one starts.
 *
 * The same seed sends the same frames; what the Guest does between them
 * depends on when they arrive, so the counts may differ a little.
 */
import { RawClient, frame } from './rawClient';
import { Rng, Subject, UNANSWERED, brokenFrame, commandsFrom, goodArguments, serialize, spoil } from './dapAbuse';

export interface CampaignOptions extends Subject {
  frames: number;
  seed: number;
  /** The built adapter (dist/debugAdapter.js). */
  adapter: string;
  /** Frames between two liveness checks. */
  batch?: number;
  /** How long a liveness check may wait for its answer: a bound for hangs, not a measure of speed. */
  livenessMs?: number;
  onProgress?: (counts: Counts) => void;
}

export interface Counts {
  /** Fuzz frames written (liveness checks and session starts not counted). */
  frames: number;
  /** Of those, well-formed requests, and broken frames. */
  requests: number;
  broken: number;
  /** Responses to the well-formed requests, and how many were errors. */
  responses: number;
  errors: number;
  /** Frames the adapter reported skipping (output events in category important). */
  skipped: number;
  livenessChecks: number;
  sessions: number;
  /** The adapter exited on its own, or did not answer a liveness check in time. */
  deaths: number;
  hangs: number;
  /** Error responses that were a JavaScript error rather than a message about the request. */
  internalErrors: number;
}

export interface CampaignResult {
  counts: Counts;
  /** What went wrong, in words: deaths, hangs, internal errors (the first few of each). */
  problems: string[];
}

/** A JavaScript error's words, which a client should never see. */
export const RAW_ERROR =
  /internal error|TypeError|RangeError|ReferenceError|Cannot read prop|is not a function|Maximum call stack|\n\s+at /;

/** The promise, or a rejection after `ms`: a bound for hangs. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what}`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const r = new Rng(o.seed);
  const batch = o.batch ?? 25;
  const livenessMs = o.livenessMs ?? 60_000;
  const counts: Counts = {
    frames: 0, requests: 0, broken: 0, responses: 0, errors: 0, skipped: 0, livenessChecks: 0, sessions: 0,
    deaths: 0, hangs: 0, internalErrors: 0,
  };
  const problems: string[] = [];
  const problem = (text: string) => { if (problems.length < 20) problems.push(text); };
  let commands: string[] = [];
  let seq = 1_000_000;

  /** Start a session with a launched Guest, stopped on entry; null if the adapter failed at that. */
  const start = async (): Promise<RawClient | null> => {
    const c = new RawClient(o.adapter);
    counts.sessions++;
    try {
      commands = commandsFrom(await within(c.launch(o.program), livenessMs, 'starting a session'));
      return c;
    } catch (e) {
      problem(`session ${counts.sessions} did not start: ${(e as Error).message}`);
      if (c.alive) counts.hangs++;
      else counts.deaths++;
      await c.close();
      return null;
    }
  };

  /** Add up a session's messages, and end it; a death is the adapter gone before we closed it. */
  const finish = async (c: RawClient, fuzzSeqs: Set<number>) => {
    const diedOnItsOwn = !c.alive;
    for (const m of c.received) {
      if (m.type === 'response' && fuzzSeqs.has(m.request_seq as number)) {
        counts.responses++;
        if (!m.success) counts.errors++;
        if (!m.success && RAW_ERROR.test(String(m.message))) {
          counts.internalErrors++;
          problem(`${m.command}: ${String(m.message).slice(0, 300)}`);
        }
      }
    }
    for (const body of c.outputs) {
      if (body.category === 'important' && body.output.includes('skipped')) counts.skipped++;
      if (RAW_ERROR.test(body.output)) {
        counts.internalErrors++;
        problem(`output: ${body.output.slice(0, 300)}`);
      }
    }
    await c.close();
    if (diedOnItsOwn) {
      counts.deaths++;
      problem(`the adapter died (exit ${c.exitStatus}) in session ${counts.sessions}`);
    }
  };

  let c: RawClient | null = null;
  let fuzzSeqs = new Set<number>();
  while (counts.frames < o.frames) {
    if (c === null) {
      // A session that cannot even start ends the campaign: it is a death or a hang already counted.
      c = await start();
      fuzzSeqs = new Set();
      if (c === null) break;
    }
    // What this batch sent, to tell of a hang.
    const sent: string[] = [];
    for (let i = 0; i < batch && counts.frames < o.frames; i++) {
      counts.frames++;
      if (r.chance(0.3)) {
        counts.broken++;
        const [bytes, kind] = brokenFrame(r, seq++);
        sent.push(`broken frame ${kind}`);
        c.write(bytes);
        continue;
      }
      counts.requests++;
      // Ending a session, or running the Guest freely, now and then; everything else often.
      let command = r.chance(0.05) ? r.pick(UNANSWERED) : r.pick(commands);
      if (['disconnect', 'terminate', 'continue'].includes(command) && r.chance(0.9)) command = 'stackTrace';
      const good = goodArguments(r, command, o);
      const args = r.chance(0.4) ? good : spoil(r, good);
      fuzzSeqs.add(seq);
      sent.push(command);
      const message: Record<string, unknown> = { seq: seq++, type: 'request', command };
      if (args !== undefined) message.arguments = args;
      c.write(frame(serialize(message)));
    }
    // Liveness: a plain request answered, by an adapter still running.
    counts.livenessChecks++;
    const probe = seq++;
    const answered = c.waitFor((m) => m.type === 'response' && m.request_seq === probe && m.command === 'threads');
    c.write(frame(JSON.stringify({ seq: probe, type: 'request', command: 'threads' })));
    let over = false;
    try {
      const answer = await within(answered, livenessMs, `no answer to a liveness check within ${livenessMs} ms`);
      // Refused threads means the session is over (a disconnect); a terminated event, that the Guest is.
      over = !answer.success || c.received.some((m) => m.type === 'event' && m.event === 'terminated');
    } catch (e) {
      if (c.alive) {
        counts.hangs++;
        problem(`session ${counts.sessions}: ${(e as Error).message}, after ${sent.join(', ')}`);
      }
      over = true;
    }
    if (over) {
      await finish(c, fuzzSeqs);
      c = null;
    }
    o.onProgress?.(counts);
  }
  if (c !== null) await finish(c, fuzzSeqs);
  return { counts, problems };
}
