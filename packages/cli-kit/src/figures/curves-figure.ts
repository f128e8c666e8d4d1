import type { TopLevelSpec } from 'vega-lite';

/** One line: (x, y) points, such as a loss per step. Non-finite values are left out. */
export interface Curve {
  name: string;
  points: { x: number; y: number }[];
}

/** One chart of curves that share a y axis (for example training and validation loss). */
export interface CurvePanel {
  title: string;
  yTitle: string;
  curves: Curve[];
  /** A logarithmic y axis (for a learning rate that decays over decades). */
  logScale?: boolean;
}

export interface CurvesFigureOptions {
  title: string;
  xTitle: string;
  panels: CurvePanel[];
  panelWidth?: number;
}

/** Training curves: one chart per panel side by side, a shared x axis title, a legend per chart. */
export function curvesFigure(options: CurvesFigureOptions): TopLevelSpec {
  const panels = options.panels.filter((panel) => panel.curves.some((curve) => curve.points.some((p) => Number.isFinite(p.y))));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: options.title, anchor: 'start' },
    config: { view: { stroke: '#888' } },
    resolve: { scale: { color: 'independent' } },
    hconcat: panels.map((panel) => {
      const values = panel.curves.flatMap((curve) =>
        curve.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!panel.logScale || p.y > 0)).map((p) => ({ ...p, curve: curve.name })),
      );
      const fewPoints = values.length <= 60;
      return {
        title: panel.title,
        width: options.panelWidth ?? 260,
        height: 200,
        data: { values },
        mark: { type: 'line', point: fewPoints, interpolate: 'linear' },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: options.xTitle, scale: { zero: false }, axis: { format: ',~f', tickMinStep: 1 } },
          y: { field: 'y', type: 'quantitative', title: panel.yTitle, scale: panel.logScale ? { type: 'log' } : { zero: false } },
          color: { field: 'curve', type: 'nominal', legend: panel.curves.length > 1 ? { title: null, orient: 'top-right' } : null },
        },
      };
    }),
  } as TopLevelSpec;
}
