import type { TopLevelSpec } from 'vega-lite';

/**
 * Figures side by side under one title (for example one panel per prior). Each figure keeps its own
 * scales and title; their configurations give way to the first one's.
 */
export function sideBySideFigure(title: string, figures: TopLevelSpec[]): TopLevelSpec {
  const parts = figures.map((figure) => {
    const { $schema: _schema, config: _config, ...rest } = figure as TopLevelSpec & { config?: unknown };
    return rest;
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start' },
    config: (figures[0] as { config?: object } | undefined)?.config,
    // Each panel keeps its legend where the panel put it (a shared one would go to the far left).
    resolve: { legend: { color: 'independent' }, scale: { color: 'independent' } },
    hconcat: parts,
  } as TopLevelSpec;
}
