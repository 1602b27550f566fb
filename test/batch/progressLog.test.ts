import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger, jsonLogLine, textLogLine } from '../../src/batch/log.js';
import { createProgress, formatDuration, formatRate, type Spinner, type SpinnerFactory } from '../../src/batch/progress.js';

/** A stream that records what is written; a TTY when asked. */
function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, chunks, write: (s: string) => (chunks.push(s), true), text: () => chunks.join('') };
}

/** A spinner that records every text change and lifecycle call. */
function fakeSpinner() {
  const events: string[] = [];
  const created: { colour: boolean; text: string }[] = [];
  const factory: SpinnerFactory = ({ text, colour }) => {
    created.push({ colour, text });
    let t = text;
    const s: Spinner = {
      get text() {
        return t;
      },
      set text(v: string) {
        t = v;
        events.push(`text:${v}`);
      },
      start: () => events.push('start'),
      stop: () => events.push('stop'),
      clear: () => events.push('clear'),
      render: () => events.push('render'),
    };
    return s;
  };
  return { factory, events, created, texts: () => events.filter((e) => e.startsWith('text:')).map((e) => e.slice(5)) };
}

function fakeClock(start = 0) {
  const c = { t: start, now: () => c.t };
  return c;
}

describe('formatting', () => {
  it('durations and rates', () => {
    expect(formatDuration(12.25)).toBe('12s');
    expect(formatDuration(125)).toBe('2m 05s');
    expect(formatDuration(3720)).toBe('1h 02m');
    expect(formatDuration(Number.NaN)).toBe('--');
    expect(formatRate(512.4)).toBe('512');
    expect(formatRate(51.24)).toBe('51.2');
    expect(formatRate(0.51249)).toBe('0.512');
    expect(formatRate(0)).toBe('0');
  });
});

describe('progress on a TTY', () => {
  it('updates the spinner text at most once per 250 ms, with done/total, rate and ETA', () => {
    const clock = fakeClock();
    const sp = fakeSpinner();
    const stream = fakeStream(true);
    const p = createProgress({ total: 100, stream, clock: clock.now, env: {}, spinner: sp.factory });
    expect(sp.created).toEqual([{ colour: true, text: '0/100 portfolios, 0/s, ETA --' }]);
    clock.t = 100;
    p.tick(); // 100 ms since the last draw: no update
    clock.t = 250;
    p.tick(); // 250 ms: update. rate = 2 / 0.25 s = 8/s; ETA = 98 / 8 = 12.25 s
    clock.t = 300;
    p.tick('failed');
    clock.t = 499;
    p.tick();
    clock.t = 500;
    p.tick(); // rate = 5 / 0.5 s = 10/s; ETA = 95 / 10 = 9.5 s -> '10s' (rounded)
    expect(sp.texts()).toEqual(['2/100 portfolios, 8/s, ETA 12s', '5/100 portfolios, 1 failed, 10/s, ETA 10s']);
    expect(stream.chunks).toEqual([]); // the fake spinner writes nothing itself
  });

  it('1000 ticks 2 ms apart over 2 s give 8 updates (every 250 ms), not 1000', () => {
    const clock = fakeClock();
    const sp = fakeSpinner();
    const p = createProgress({ total: 1000, stream: fakeStream(true), clock: clock.now, env: {}, spinner: sp.factory });
    for (let i = 1; i <= 1000; i++) {
      clock.t = 2 * i;
      p.tick();
    }
    const texts = sp.texts();
    expect(texts).toHaveLength(8);
    // at t = 250 ms: 125 done, 500/s, 875 left / 500 = 1.75 s -> '2s'
    expect(texts[0]).toBe('125/1000 portfolios, 500/s, ETA 2s');
    expect(texts[7]).toBe('1000/1000 portfolios, 500/s, ETA 0s');
  });

  it('finish stops the spinner and prints the summary line with extras', () => {
    const clock = fakeClock(1000);
    const sp = fakeSpinner();
    const stream = fakeStream(true);
    const p = createProgress({ total: 4, stream, clock: clock.now, env: {}, spinner: sp.factory });
    clock.t = 1500;
    p.tick();
    p.tick('failed');
    p.tick();
    p.tick();
    clock.t = 3000;
    const s = p.finish({ cache_hits: 3, cache_misses: 1 });
    // 4 in 2 s = 2/s
    expect(s).toEqual({ total: 4, done: 4, succeeded: 3, failed: 1, elapsedMs: 2000, rate: 2 });
    expect(sp.events.at(-1)).toBe('stop');
    expect(stream.chunks).toEqual(['perfcalc: 4/4 portfolios in 2.0 s (3 ok, 1 failed), 2/s, cache_hits 3, cache_misses 1\n']);
    // finishing twice prints nothing more
    p.finish();
    expect(stream.chunks).toHaveLength(1);
  });

  it('pause clears the spinner line around a write and redraws it', () => {
    const sp = fakeSpinner();
    const stream = fakeStream(true);
    const p = createProgress({ total: 2, stream, clock: () => 0, env: {}, spinner: sp.factory });
    p.pause(() => sp.events.push('write'));
    expect(sp.events).toEqual(['start', 'clear', 'write', 'render']);
  });

  it('NO_COLOR and TERM=dumb turn spinner colour off', () => {
    for (const env of [{ NO_COLOR: '1' }, { TERM: 'dumb' }]) {
      const sp = fakeSpinner();
      createProgress({ total: 1, stream: fakeStream(true), clock: () => 0, env, spinner: sp.factory });
      expect(sp.created[0]!.colour).toBe(false);
    }
  });

  it('quiet: no spinner and no summary', () => {
    const sp = fakeSpinner();
    const stream = fakeStream(true);
    const p = createProgress({ total: 1, stream, clock: () => 0, quiet: true, env: {}, spinner: sp.factory });
    p.tick();
    p.finish();
    expect(sp.created).toEqual([]);
    expect(stream.chunks).toEqual([]);
  });

  it('the real ora spinner draws the status on a TTY stream', async () => {
    const chunks: string[] = [];
    const stream = Object.assign(
      new Writable({
        write(chunk, _enc, cb) {
          chunks.push(String(chunk));
          cb();
        },
      }),
      // the tty.WriteStream methods ora uses
      {
        isTTY: true,
        columns: 100,
        cursorTo: (_x: number) => true,
        clearLine: (_dir: number) => true,
        moveCursor: (_dx: number, _dy: number) => true,
      },
    );
    const clock = fakeClock();
    const p = createProgress({ total: 3, stream, clock: clock.now, env: { NO_COLOR: '1' } });
    // ora is loaded on first use: the spinner draws once the import has resolved
    await import('ora');
    await new Promise((r) => setImmediate(r));
    clock.t = 1000;
    p.tick();
    p.tick();
    p.tick();
    p.finish();
    const out = chunks.join('');
    expect(out).toContain('0/3 portfolios, 0/s, ETA --'); // drawn at start
    expect(out).toContain('perfcalc: 3/3 portfolios in 1.0 s (3 ok, 0 failed), 3/s\n');
  });
});

describe('progress without a TTY (cron)', () => {
  it('writes nothing until the end, then one line', () => {
    const clock = fakeClock();
    const stream = fakeStream(false);
    const p = createProgress({ total: 3, stream, clock: clock.now, env: {} });
    for (let i = 1; i <= 3; i++) {
      clock.t = i * 1000;
      p.tick();
      expect(stream.chunks).toEqual([]);
    }
    p.finish();
    // 3 in 3 s = 1/s
    expect(stream.chunks).toEqual(['perfcalc: 3/3 portfolios in 3.0 s (3 ok, 0 failed), 1/s\n']);
  });

  it('quiet: nothing at all', () => {
    const stream = fakeStream(false);
    const p = createProgress({ total: 1, stream, clock: () => 0, quiet: true });
    p.tick();
    p.finish();
    expect(stream.chunks).toEqual([]);
  });
});

describe('progress with --log json', () => {
  it('progress lines at most every 10 s and a final line, each with the run id', () => {
    const clock = fakeClock(Date.UTC(2026, 10, 22, 3, 0, 0));
    const t0 = clock.t;
    const stream = fakeStream(true);
    const logger = createLogger({ format: 'json', runId: 'R1', stream, clock: clock.now });
    const p = createProgress({ total: 30, stream, clock: clock.now, log: 'json', logger, spinner: () => {
      throw new Error('no spinner in json mode');
    } });
    for (let i = 1; i <= 30; i++) {
      clock.t = t0 + i * 1000;
      p.tick();
    }
    p.finish({ cache_hits: 30 });
    const lines = stream.text().trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      // at 10 s: 10 done, 1/s
      { level: 'info', msg: 'progress', time: '2026-11-22T03:00:10.000Z', run_id: 'R1', done: 10, total: 30, failed: 0, rate: 1 },
      { level: 'info', msg: 'progress', time: '2026-11-22T03:00:20.000Z', run_id: 'R1', done: 20, total: 30, failed: 0, rate: 1 },
      { level: 'info', msg: 'progress', time: '2026-11-22T03:00:30.000Z', run_id: 'R1', done: 30, total: 30, failed: 0, rate: 1 },
      { level: 'info', msg: 'run finished', time: '2026-11-22T03:00:30.000Z', run_id: 'R1', done: 30, total: 30, succeeded: 30, failed: 0, elapsed_ms: 30000, rate: 1, cache_hits: 30 },
    ]);
  });

  it('needs a logger', () => {
    expect(() => createProgress({ total: 1, stream: fakeStream(false), log: 'json' })).toThrow('createProgress: log json needs a logger');
  });
});

describe('JSON log lines', () => {
  const T = Date.UTC(2026, 10, 22, 3, 4, 5, 678);

  it('level, msg, time, run_id first, then fields', () => {
    const line = jsonLogLine('warn', 'portfolio failed', T, '20261122T030405Z-abc123', { portfolio_id: 'P-7', stage: 'engine' });
    expect(line).toBe('{"level":"warn","msg":"portfolio failed","time":"2026-11-22T03:04:05.678Z","run_id":"20261122T030405Z-abc123","portfolio_id":"P-7","stage":"engine"}\n');
  });

  it('reserved names are prefixed; errors, bigint and non-finite numbers made JSON-safe; undefined dropped', () => {
    const rec = JSON.parse(
      jsonLogLine('error', 'boom', T, 'R', { msg: 'x', run_id: 'other', err: new RangeError('bad'), n: 10n, r: Number.NaN, nested: { e: new Error('inner'), inf: -Infinity }, u: undefined }),
    );
    expect(rec).toEqual({
      level: 'error',
      msg: 'boom',
      time: '2026-11-22T03:04:05.678Z',
      run_id: 'R',
      field_msg: 'x',
      field_run_id: 'other',
      err: { name: 'RangeError', message: 'bad' },
      n: '10',
      r: null,
      nested: { e: { name: 'Error', message: 'inner' }, inf: null },
    });
  });

  it('every line of a logger carries the run id; quiet drops info but not warnings', () => {
    const stream = fakeStream(false);
    const log = createLogger({ format: 'json', runId: 'R9', stream, clock: () => T, quiet: true });
    log.info('hidden');
    log.debug('hidden');
    log.warn('w', { a: 1 });
    log.error('e');
    const lines = stream.text().trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.level, l.msg, l.run_id])).toEqual([
      ['warn', 'w', 'R9'],
      ['error', 'e', 'R9'],
    ]);
    expect(log.enabled('info')).toBe(false);
    expect(log.enabled('warn')).toBe(true);
  });

  it('debug only when the level asks for it', () => {
    const stream = fakeStream(false);
    createLogger({ format: 'json', runId: 'R', stream, clock: () => T }).debug('no');
    createLogger({ format: 'json', runId: 'R', stream, clock: () => T, level: 'debug' }).debug('yes');
    expect(stream.chunks.map((c) => JSON.parse(c).msg)).toEqual(['yes']);
  });
});

describe('text log lines', () => {
  it('prefix, message and key=value fields (quoted when needed)', () => {
    expect(textLogLine('info', 'loaded', { rows: 1200, file: '/data/v.csv' })).toBe('perfcalc: loaded rows=1200 file=/data/v.csv\n');
    expect(textLogLine('warn', 'portfolio failed', { id: 'P 7', why: 'zero value' })).toBe('perfcalc: warning: portfolio failed id="P 7" why="zero value"\n');
    expect(textLogLine('error', 'x')).toBe('perfcalc: error: x\n');
  });

  it('colour on a TTY unless NO_COLOR; never when not a TTY', () => {
    const tty = fakeStream(true);
    createLogger({ format: 'text', runId: 'R', stream: tty, env: {} }).warn('w');
    createLogger({ format: 'text', runId: 'R', stream: tty, env: { NO_COLOR: '1' } }).warn('w');
    const pipe = fakeStream(false);
    createLogger({ format: 'text', runId: 'R', stream: pipe, env: {} }).error('e');
    expect(tty.chunks).toEqual(['perfcalc: \u001b[33mwarning: \u001b[39mw\n', 'perfcalc: warning: w\n']);
    expect(pipe.chunks).toEqual(['perfcalc: error: e\n']);
  });

  it('the around hook wraps each write (spinner pause)', () => {
    const stream = fakeStream(false);
    const order: string[] = [];
    const log = createLogger({
      format: 'text',
      runId: 'R',
      stream: { write: (s: string) => order.push(`write ${s.trim()}`) },
      around: (w) => {
        order.push('clear');
        w();
        order.push('redraw');
      },
    });
    log.info('hello');
    expect(order).toEqual(['clear', 'write perfcalc: hello', 'redraw']);
    expect(stream.chunks).toEqual([]);
  });
});

describe('progress on a TTY that reports no width', () => {
  it('draws no spinner (ora would erase unbounded wrapped lines) and prints the summary line instead', () => {
    let out = '';
    let t = 0;
    const stream = { isTTY: true, columns: 0, write: (s: string) => ((out += s), true) };
    const p = createProgress({ total: 3, stream, clock: () => (t += 1000), env: { NO_COLOR: '1' } });
    p.tick();
    p.tick();
    p.tick('failed');
    p.finish();
    expect(out).not.toContain('\u001b[1A');
    expect(out.trim().split('\n')).toHaveLength(1);
    expect(out).toContain('3/3 portfolios');
  });
});
