/**
 * The activity view: the critic's decisions on replies, the reviewers' outcomes, what became of
 * the actor's tool calls and the action gate's decisions on them, per hour or day, as stacked bars.
 */
import { el, svg } from '../../core/browser/dom.js';
import type { ActionDecision, Activity, CriticDecision, ReviewOutcome, ToolCallOutcome } from '../dashboard-api-types.js';

export type SeriesName = 'critic' | 'review' | 'tools' | 'actions';

const SERIES: {
  critic: { title: string; keys: CriticDecision[] };
  review: { title: string; keys: ReviewOutcome[] };
  tools: { title: string; keys: ToolCallOutcome[] };
  actions: { title: string; keys: ActionDecision[] };
} = {
  critic: { title: "Critic's decisions on replies", keys: ['approve', 'edit', 'revise', 'escalate'] },
  review: { title: 'Review outcomes', keys: ['approved', 'edited', 'rejected'] },
  tools: { title: 'Tool calls, by outcome', keys: ['done', 'failed', 'escalated', 'refused', 'revised', 'invalid', 'skipped', 'unknown'] },
  actions: { title: 'Action verdicts on tool calls', keys: ['read', 'approve', 'edit', 'revise', 'escalate', 'critic-failure', 'rule-escalate', 'rule-block'] },
};

export const ACTIVITY_RANGES = ['24h', '7d', '30d'] as const;

function bucketLabel(start: number, bucketMs: number): string {
  const date = new Date(start);
  if (bucketMs < 86_400_000) return `${String(date.getHours()).padStart(2, '0')}:00`;
  return `${date.getMonth() + 1}/${date.getDate()}`;
}

/** The count of one key of a series in a bucket (the series' keys are that bucket's record keys). */
function count(counts: Activity['buckets'][number], name: SeriesName, key: string): number {
  return (counts[name] as Record<string, number>)[key] ?? 0;
}

/** One chart card: the stacked bars with a legend of totals. */
export function chart(name: SeriesName, activity: Activity): HTMLElement {
  const series = SERIES[name];
  const keys: string[] = series.keys;
  const buckets = activity.buckets;
  const width = 640;
  const height = 220;
  const left = 34;
  const bottom = 24;
  const top = 10;
  const plotHeight = height - bottom - top;
  const max = Math.max(1, ...buckets.map((bucket) => keys.reduce((total, key) => total + count(bucket, name, key), 0)));
  const slot = (width - left) / Math.max(1, buckets.length);
  const barWidth = Math.max(2, slot * 0.7);
  const graphic = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': series.title, 'data-series': name });
  graphic.appendChild(svg('line', { x1: left, y1: top + plotHeight, x2: width, y2: top + plotHeight, class: 'axis' }));
  graphic.appendChild(svg('text', { x: left - 4, y: top + 8, class: 'tick', 'text-anchor': 'end', text: String(max) }));
  graphic.appendChild(svg('text', { x: left - 4, y: top + plotHeight, class: 'tick', 'text-anchor': 'end', text: '0' }));
  const every = Math.ceil(buckets.length / 8);
  buckets.forEach((bucket, index) => {
    const x = left + index * slot + (slot - barWidth) / 2;
    let y = top + plotHeight;
    for (const key of keys) {
      const value = count(bucket, name, key);
      if (!value) continue;
      const barHeight = (value / max) * plotHeight;
      y -= barHeight;
      graphic.appendChild(
        svg('rect', { x: x.toFixed(1), y: y.toFixed(1), width: barWidth.toFixed(1), height: barHeight.toFixed(1), class: `bar k-${key}` }, svg('title', { text: `${bucketLabel(bucket.start, activity.bucketMs)} ${key}: ${value}` })),
      );
    }
    if (index % every === 0) {
      graphic.appendChild(svg('text', { x: (left + index * slot + slot / 2).toFixed(1), y: height - 6, class: 'tick', 'text-anchor': 'middle', text: bucketLabel(bucket.start, activity.bucketMs) }));
    }
  });
  const totals = activity.totals[name] as Record<string, number>;
  const legend = el(
    'ul',
    { class: 'legend' },
    keys.map((key) => el('li', { 'data-series': name, 'data-key': key }, [el('span', { class: `swatch k-${key}` }), `${key} `, el('b', { class: 'total', text: String(totals[key] ?? 0) })])),
  );
  return el('section', { class: 'card chart-card' }, [el('h2', { text: series.title }), graphic, legend]);
}
