#!/usr/bin/env node
// Seeded generator for perfcalc's bundled sample data (fixtures/). Deterministic: the same seed
// writes the same bytes, so the files are committed and `npm run fixtures` can recreate them.
//
//   fixtures/valuations.csv   10 portfolios, daily (Mon-Fri, no holidays) end-of-day values
//   fixtures/cash_flows.csv   contributions and withdrawals, some timed 'start', some on weekends
//   fixtures/holdings.csv     2 portfolios valued from their holdings (quantity, price, market_value)
//   fixtures/benchmark.csv    a daily benchmark and risk-free return series (long layout)
//
// Values follow V_t = V_{t-1} (1 + r_t) + F_t for end-of-day flows and (V_{t-1} + F_t)(1 + r_t)
// for start-of-day flows, rounded to cents, with r_t drawn from a seeded normal distribution.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'fixtures');
mkdirSync(out, { recursive: true });

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = mulberry32(20261122);
function normal() {
  const u = Math.max(rand(), 1e-12);
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

// UTC date arithmetic only on whole days (no local time).
const DAY = 86400000;
const iso = (ms) => new Date(ms).toISOString().slice(0, 10);
const parse = (s) => Date.parse(`${s}T00:00:00Z`);
const weekday = (ms) => new Date(ms).getUTCDay();
function businessDays(from, to) {
  const days = [];
  for (let t = parse(from); t <= parse(to); t += DAY) {
    const w = weekday(t);
    if (w !== 0 && w !== 6) days.push(t);
  }
  return days;
}
const cents = (x) => Math.round(x * 100) / 100;
const money = (x) => cents(x).toFixed(2);

const START = '2023-09-29';
const END = '2026-10-30';
const allDays = businessDays(START, END);

const portfolios = [
  { id: 'P-001', start: START, v0: 1_000_000, mu: 0.07, vol: 0.12, flowEvery: 1, flowSize: 20_000 },
  { id: 'P-002', start: START, v0: 250_000, mu: 0.05, vol: 0.08, flowEvery: 3, flowSize: 15_000 },
  { id: 'P-003', start: START, v0: 5_000_000, mu: 0.09, vol: 0.18, flowEvery: 6, flowSize: -400_000 },
  { id: 'P-004', start: START, v0: 75_000, mu: 0.03, vol: 0.04, flowEvery: 1, flowSize: 1_500 },
  { id: 'P-005', start: START, v0: 2_500_000, mu: 0.06, vol: 0.15, flowEvery: 2, flowSize: -60_000 },
  { id: 'P-006', start: '2024-06-28', v0: 400_000, mu: 0.08, vol: 0.2, flowEvery: 1, flowSize: 10_000 },
  { id: 'P-007', start: '2025-03-31', v0: 1_200_000, mu: 0.04, vol: 0.1, flowEvery: 4, flowSize: 250_000 },
  { id: 'P-008', start: START, v0: 900_000, mu: -0.02, vol: 0.22, flowEvery: 0, flowSize: 0 },
  { id: 'P-009', start: '2026-01-30', v0: 150_000, mu: 0.1, vol: 0.25, flowEvery: 1, flowSize: 5_000 },
  { id: 'P-010', start: START, v0: 12_345_678.9, mu: 0.06, vol: 0.11, flowEvery: 3, flowSize: -500_000 },
];

const valuationRows = ['portfolio_id,date,market_value,currency'];
const flowRows = ['portfolio_id,date,amount,currency,timing,type'];

for (const p of portfolios) {
  const days = allDays.filter((t) => t >= parse(p.start));
  // Flows: on the 15th of every `flowEvery`-th month (moved to a weekend day now and then so that
  // the engine's "flow on a non-valuation day" rule is exercised), a few timed at the start of the day.
  const flows = new Map(); // valuation-day ms -> { amount, timing, date }
  if (p.flowEvery > 0) {
    const first = new Date(parse(p.start));
    let y = first.getUTCFullYear();
    let m = first.getUTCMonth() + 1;
    for (let k = 1; ; k++) {
      m += p.flowEvery;
      while (m > 11) { m -= 12; y += 1; }
      const target = Date.UTC(y, m, 15);
      if (target > parse(END)) break;
      let flowDay = target;
      // the flow's own date; a weekend date is kept as is (the engine moves it to the next valuation day)
      const jitter = rand();
      const amount = cents(p.flowSize * (0.5 + rand()));
      const timing = jitter < 0.2 ? 'start' : jitter < 0.35 ? '' : 'end';
      let valDay = flowDay;
      while (weekday(valDay) === 0 || weekday(valDay) === 6) valDay += DAY;
      if (valDay > parse(END)) break;
      // a weekend flow joins the next valuation day as a start-of-day flow
      const effective = valDay !== flowDay ? 'start' : timing === 'start' ? 'start' : 'end';
      flows.set(valDay, { amount, timing, date: flowDay, effective });
    }
  }
  let v = p.v0;
  const dailyMu = p.mu / 252;
  const dailyVol = p.vol / Math.sqrt(252);
  days.forEach((t, i) => {
    if (i > 0) {
      const r = dailyMu + dailyVol * normal();
      const f = flows.get(t);
      if (f && f.effective === 'start') v = (v + f.amount) * (1 + r);
      else v = v * (1 + r) + (f ? f.amount : 0);
      v = cents(v);
      if (f) flowRows.push(`${p.id},${iso(f.date)},${money(f.amount)},USD,${f.timing},${f.amount > 0 ? 'contribution' : 'withdrawal'}`);
    }
    valuationRows.push(`${p.id},${iso(t)},${money(v)},USD`);
  });
}

// Holdings: two portfolios whose daily value is the exact sum of their positions.
const holdingRows = ['portfolio_id,date,security_id,quantity,price,market_value,currency,asset_class,sector'];
const securities = [
  ['AAPL', 'equity', 'technology', 190],
  ['MSFT', 'equity', 'technology', 410],
  ['JNJ', 'equity', 'health care', 155],
  ['XOM', 'equity', 'energy', 110],
  ['UST10Y', 'fixed income', 'government', 98.5],
  ['CASH', 'cash', 'cash', 1],
];
const holdingDays = allDays.filter((t) => t >= parse('2025-10-31'));
for (const [pid, scale] of [['H-001', 1], ['H-002', 7.5]]) {
  const qty = securities.map(([, , , px], i) => Math.round((scale * 100_000) / px / (i + 1)));
  const px = securities.map(([, , , p0]) => p0);
  holdingDays.forEach((t, d) => {
    securities.forEach(([sec, cls, sector], i) => {
      if (d > 0 && sec !== 'CASH') px[i] = Math.round(px[i] * (1 + 0.0003 + 0.012 * normal()) * 10000) / 10000;
      const price = px[i].toFixed(4);
      // every fourth row leaves market_value blank: perfcalc computes quantity x price exactly
      const mv = (d + i) % 4 === 0 ? '' : (qty[i] * px[i]).toFixed(4);
      holdingRows.push(`${pid},${iso(t)},${sec},${qty[i]},${price},${mv},USD,${cls},${sector}`);
    });
  });
}

// A daily benchmark and a daily risk-free series over the same business days (long layout).
const benchRows = ['series_id,date,return'];
for (const t of allDays.slice(1)) benchRows.push(`BENCH,${iso(t)},${(0.0003 + 0.01 * normal()).toFixed(8)}`);
for (const t of allDays.slice(1)) benchRows.push(`RF,${iso(t)},${(0.04 / 252).toFixed(8)}`);

const write = (name, rows) => writeFileSync(join(out, name), rows.join('\n') + '\n');
write('valuations.csv', valuationRows);
write('cash_flows.csv', flowRows);
write('holdings.csv', holdingRows);
write('benchmark.csv', benchRows);
console.error(`fixtures: ${valuationRows.length - 1} valuations, ${flowRows.length - 1} flows, ${holdingRows.length - 1} holdings, ${benchRows.length - 1} returns`);
