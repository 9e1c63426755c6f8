// The printed table: benchmark, ours, baseline, ratio, spread, goal, met.

const fmt = (value, unit) => {
  if (value === null || value === undefined) return '–';
  const digits =
    Number.isInteger(value) || Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
};

function goalText(row) {
  if (row.goal === null) return 'report';
  return typeof row.goal === 'number' ? `≤ ${row.goal}×` : row.goal;
}

/** @param {Array<Record<string, any>>} rows */
export function formatTable(rows) {
  const head = ['benchmark', 'ours', 'baseline', 'ratio', 'spread', 'goal', 'met'];
  const body = rows.map((row) => [
    row.name,
    fmt(row.ours, row.unit),
    fmt(row.baseline, row.unit),
    row.ratio === null ? '–' : `${row.ratio.toFixed(2)}×`,
    row.min === null ? '–' : `${row.min.toFixed(2)}–${row.max.toFixed(2)}×`,
    goalText(row),
    row.met === null ? '–' : row.met ? 'yes' : 'NO',
  ]);
  const lines = [head, ...body].map((cells) => `| ${cells.join(' | ')} |`);
  lines.splice(1, 0, `|${head.map(() => '---').join('|')}|`);
  return lines.join('\n');
}

/** @param {Array<Record<string, any>>} rows */
export function missedGoals(rows) {
  return rows
    .filter((row) => row.met === false)
    .map((row) =>
      typeof row.goal === 'number'
        ? `GOAL MISSED: ${row.name} ${row.ratio.toFixed(2)} > ${row.goal}`
        : `GOAL MISSED: ${row.name} ${fmt(row.ours, row.unit)} (goal ${row.goal})`,
    );
}
