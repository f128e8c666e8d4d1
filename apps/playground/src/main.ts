import { element, messageBox } from './page-elements.js';
import { parseNumericCsv } from '@flows/cli-kit/csv';
import { sharedDensityDomain } from './colour-scale.js';
import type { WorkerStatus } from './messages.js';
import type { FieldViews } from './field-views.js';
import {
  colourBar,
  drawPad,
  type Figure,
  fieldFrame,
  type Heatmap,
  heatmap,
  LOSS_LABELS,
  curves as lossCurves,
  modelDensities,
  layerStage,
  samplesOverData,
} from './plots.js';
import type { DataSpec, LayerViews } from './session.js';
import {
  DEFAULT_SETTINGS,
  type FlowKind,
  PLAYGROUND_BACKENDS,
  PLAYGROUND_DATA,
  type PlaygroundBackend,
  type PlaygroundSettings,
  settingApplies,
  settingsFromQuery,
  settingsToQuery,
} from './settings.js';
import { WorkerClient } from './worker-client.js';

// ---- messages ----
const messages = messageBox();
const showMessage = messages.show;
const clearMessage = messages.clear;
const messageElement = messages.box;

// ---- settings: query parameters, then the form ----
let settings: PlaygroundSettings;
try {
  settings = settingsFromQuery(location.search);
} catch (error) {
  settings = { ...DEFAULT_SETTINGS };
  showMessage(`The address has a setting that cannot be used (${(error as Error).message}); the defaults are used instead.`);
}

const dataSelect = element<HTMLSelectElement>('data');
for (const name of PLAYGROUND_DATA) dataSelect.add(new Option(name === 'drawn' ? 'draw your own / CSV' : name, name));
// The backends come from @flows/backends' table (those that run in a browser), not from a list of the page's own.
const BACKEND_LABELS: Partial<Record<PlaygroundBackend, string>> = { webgpu: 'WebGPU', webgl: 'WebGL' };
const backendSelect = element<HTMLSelectElement>('backend');
for (const name of PLAYGROUND_BACKENDS) backendSelect.add(new Option(BACKEND_LABELS[name] ?? name, name));
const field = (id: string) => element<HTMLInputElement | HTMLSelectElement>(id);
const FIELDS: [string, keyof PlaygroundSettings, string][] = [
  ['data', 'data', 'data'],
  ['flow', 'flow', 'flow'],
  ['layers', 'layers', 'layers'],
  ['hidden', 'hidden', 'hidden'],
  ['mask', 'mask', 'mask'],
  ['bins', 'bins', 'bins'],
  ['solver-steps', 'solverSteps', 'solver-steps'],
  ['lr', 'learningRate', 'lr'],
  ['batch', 'batchSize', 'batch'],
  ['steps', 'steps', 'steps'],
  ['seed', 'seed', 'seed'],
  ['backend', 'backend', 'backend'],
];

/** Shows the settings that apply to the flow and hides the others (the run ignores them). */
function showApplicable(flow: FlowKind): void {
  for (const setting of ['layers', 'mask', 'bins', 'solverSteps'] as const) element(`setting-${setting}`).hidden = !settingApplies(setting, flow);
}

function showSettings(values: PlaygroundSettings): void {
  for (const [id, key] of FIELDS) {
    const value = values[key];
    field(id).value = Array.isArray(value) ? value.join(',') : String(value);
  }
  element('draw-panel').hidden = values.data !== 'drawn';
  showApplicable(values.flow);
}

/** The form's settings, checked by the same rules as the address bar (a bad field is named). */
function settingsFromForm(): PlaygroundSettings {
  const params = new URLSearchParams();
  for (const [id, , parameter] of FIELDS) params.set(parameter, field(id).value.trim());
  return settingsFromQuery(params);
}

// ---- the user's own points: drawn or from a CSV ----
let ownPoints: Float32Array = new Float32Array(0);
let ownPointsName = 'drawn points';
const padHolder = element('draw-pad');
let pad: Figure | null = null;

function renderPad(): void {
  pad = drawPad(ownPoints);
  padHolder.replaceChildren(pad);
  element('draw-count').textContent = `${ownPoints.length / 2} points`;
}

/** Pixel position in a figure → data coordinates, through the figure's own scales. */
function toData(figure: Figure, event: MouseEvent): [number, number] | null {
  const svg = figure instanceof SVGSVGElement ? figure : figure.querySelector('svg');
  const x = figure.scale('x');
  const y = figure.scale('y');
  if (!svg || !x || !y) return null;
  const box = svg.getBoundingClientRect();
  const data: [number, number] = [x.invert(event.clientX - box.left), y.invert(event.clientY - box.top)];
  return data.every(Number.isFinite) ? data : null;
}

function paint(event: MouseEvent): void {
  if (!pad) return;
  const at = toData(pad, event);
  if (!at) return;
  // A brush: a few points scattered around the cursor (Box–Muller normals, σ = 0.12).
  const added = new Float32Array(2 * 6);
  for (let i = 0; i < added.length; i += 2) {
    const radius = 0.12 * Math.sqrt(-2 * Math.log(1 - Math.random()));
    const angle = 2 * Math.PI * Math.random();
    added[i] = at[0] + radius * Math.cos(angle);
    added[i + 1] = at[1] + radius * Math.sin(angle);
  }
  const joined = new Float32Array(ownPoints.length + added.length);
  joined.set(ownPoints);
  joined.set(added, ownPoints.length);
  ownPoints = joined;
  ownPointsName = 'drawn points';
  renderPad();
}

let painting = false;
padHolder.addEventListener('mousedown', (event) => {
  painting = true;
  paint(event);
});
padHolder.addEventListener('mousemove', (event) => {
  if (painting) paint(event);
});
window.addEventListener('mouseup', () => {
  painting = false;
});
element('draw-clear').addEventListener('click', () => {
  ownPoints = new Float32Array(0);
  renderPad();
});

function dataSpec(values: PlaygroundSettings): DataSpec {
  if (values.data !== 'drawn') return { kind: 'toy', name: values.data };
  if (ownPoints.length < 40) throw new Error(`draw at least 20 points (drag on the pad) or drop a CSV first: ${ownPoints.length / 2} so far`);
  return { kind: 'points', name: ownPointsName, points: ownPoints.slice() };
}

async function readCsv(file: File): Promise<void> {
  try {
    const table = parseNumericCsv(await file.text(), file.name);
    if (table.columns !== 2) throw new Error(`${file.name}: has ${table.columns} columns; the playground trains on 2-D points (two columns)`);
    if (table.rows < 20) throw new Error(`${file.name}: has ${table.rows} rows; give at least 20 points`);
    ownPoints = table.values;
    ownPointsName = file.name;
    settings = { ...settingsFromForm(), data: 'drawn' };
    showSettings(settings);
    renderPad();
    await configure();
    showMessage(`${file.name}: ${table.rows} points loaded; press Start to train on them.`, 'note');
  } catch (error) {
    showMessage(`The CSV cannot be used, so the current run is unchanged. ${(error as Error).message}`);
  }
}

// ---- the training worker ----
let latest: WorkerStatus | null = null;
const client = new WorkerClient(
  new Worker(new URL('./training-worker.ts', import.meta.url), { type: 'module' }),
  (status) => showStatus(status),
  (message) => showMessage(message),
);

const formatNumber = (value: number | null, digits = 4) => (value === null || !Number.isFinite(value) ? '–' : value.toFixed(digits));

function showStatus(status: WorkerStatus): void {
  const changed = latest?.step !== status.step || latest?.origin !== status.origin;
  const newError = status.error !== null && status.error !== latest?.error;
  latest = status;
  element('status-step').textContent = `${status.step} / ${status.totalSteps}${status.done ? ' (done)' : status.running ? ' (training)' : ''}`;
  element('status-loss').textContent = status.modelKind === 'continuous' ? `${formatNumber(status.loss)} (flow matching)` : `${formatNumber(status.loss)} nats`;
  element('status-kl').textContent = status.hasExactDensity
    ? `${formatNumber(status.kl)} ± ${formatNumber(status.klStandardError)} nats`
    : 'no exact density for this data';
  element('status-rate').textContent = status.samplesPerSecond > 0 ? Math.round(status.samplesPerSecond).toLocaleString('en') : '–';
  element('status-backend').textContent = status.backendDescription;
  element('status-origin').textContent = status.origin;
  if (newError && status.error) showMessage(status.error);
  if (changed) viewsStale = true;
  const continuous = status.modelKind === 'continuous';
  if (element('field-section').hidden === continuous) {
    // The model's own view: layer by layer for a flow of layers, the vector field for a continuous flow.
    element('field-section').hidden = !continuous;
    element('layers-section').hidden = continuous;
    element('point-readout').hidden = continuous;
    layersStale = true;
  }
}

async function configure(): Promise<WorkerStatus> {
  const status = await client.request({ type: 'configure', settings, data: dataSpec(settings) });
  showStatus(status);
  history.replaceState(null, '', `?${settingsToQuery(settings)}`);
  element<HTMLAnchorElement>('share-link').href = `?${settingsToQuery(settings)}`;
  chosenPoint = null;
  viewsStale = true;
  return status;
}

/** Applies the form: a changed setting starts a new run (Reset); an unchanged form keeps the run. */
async function applyForm(force: boolean): Promise<void> {
  const next = settingsFromForm();
  if (next.backend !== settings.backend) await switchBackend(next.backend);
  const { backend: _a, autostart: _b, ...nextRun } = next;
  const { backend: _c, autostart: _d, ...currentRun } = settings;
  settings = { ...next, autostart: settings.autostart };
  if (force || JSON.stringify(nextRun) !== JSON.stringify(currentRun)) await configure();
}

async function switchBackend(backend: PlaygroundBackend): Promise<void> {
  try {
    showStatus(await client.request({ type: 'backend', backend }));
    settings = { ...settings, backend };
    clearMessage();
  } catch (error) {
    field('backend').value = settings.backend;
    showMessage(`${(error as Error).message}. The run goes on on ${latest?.backend ?? 'the previous backend'}.`);
  }
}

async function act(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (error) {
    showMessage((error as Error).message);
  }
}

async function start(): Promise<WorkerStatus> {
  await applyForm(false);
  clearMessage();
  const status = await client.request({ type: 'start' });
  showStatus(status);
  return status;
}

element('start').addEventListener('click', () => act(start));
element('pause').addEventListener('click', () => act(async () => showStatus(await client.request({ type: 'pause' }))));
element('step').addEventListener('click', () =>
  act(async () => {
    await applyForm(false);
    showStatus(await client.request({ type: 'step', steps: 10 }));
  }),
);
element('reset').addEventListener('click', () => act(() => applyForm(true)));
field('backend').addEventListener('change', () => act(() => switchBackend(field('backend').value as PlaygroundBackend)));
field('flow').addEventListener('change', () => showApplicable(field('flow').value as FlowKind));
field('data').addEventListener('change', () => {
  element('draw-panel').hidden = field('data').value !== 'drawn';
  if (field('data').value === 'drawn') renderPad();
});

// ---- export and import ----
function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}
function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function exportModel(): Promise<Record<string, string>> {
  const files = await client.request({ type: 'export' });
  return Object.fromEntries(Object.entries(files).map(([name, content]) => [name, typeof content === 'string' ? content : toBase64(content)]));
}

element('export').addEventListener('click', () =>
  act(async () => {
    const files = await client.request({ type: 'export' });
    for (const [name, content] of Object.entries(files)) {
      const blob = new Blob([content as BlobPart], { type: name.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    }
    showMessage(`Exported ${Object.keys(files).join(' and ')}: keep them together in one folder (toy-flow sample --model FOLDER).`, 'note');
  }),
);

async function importFiles(files: Record<string, string | Uint8Array>, origin: string): Promise<WorkerStatus> {
  try {
    const status = await client.request({ type: 'import', files, origin });
    showStatus(status);
    showMessage(`Imported ${origin}. Start continues training it on ${settings.data}.`, 'note');
    return status;
  } catch (error) {
    showMessage(`The model cannot be imported, so the current run is unchanged. ${(error as Error).message}`);
    throw error;
  }
}

async function importPicked(list: FileList | File[]): Promise<void> {
  const files: Record<string, string | Uint8Array> = {};
  for (const file of list) files[file.name] = file.name.endsWith('.json') ? await file.text() : new Uint8Array(await file.arrayBuffer());
  await importFiles(files, Object.keys(files).join(' + ')).catch(() => undefined);
}

const importInput = element<HTMLInputElement>('import-files');
importInput.addEventListener('change', () => {
  if (importInput.files?.length) void importPicked(importInput.files).finally(() => (importInput.value = ''));
});
const csvInput = element<HTMLInputElement>('csv-file');
csvInput.addEventListener('change', () => {
  const file = csvInput.files?.[0];
  if (file) void readCsv(file).finally(() => (csvInput.value = ''));
});
document.addEventListener('dragover', (event) => {
  event.preventDefault();
  document.body.classList.add('dragging');
});
document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
document.addEventListener('drop', (event) => {
  event.preventDefault();
  document.body.classList.remove('dragging');
  const files = [...(event.dataTransfer?.files ?? [])];
  const csv = files.find((f) => /\.csv$/i.test(f.name));
  if (csv) void readCsv(csv);
  else if (files.length) void importPicked(files);
});

// ---- pictures ----
let viewsStale = true;
let viewsPending = false;
/**
 * When the densities may be fetched again: a second after the last fetch, or four times as long as
 * it took (a continuous flow's density grid is an ODE solve per cell), so that drawing never takes
 * more than a fifth of the worker from training.
 */
let viewsDueAt = 0;
let chosenPoint: [number, number] | null = null;
/** The two heat maps, drawn once per window and data set; their pixels change at every refresh. */
let heatmaps: { key: string; model: Heatmap; reference: Heatmap } | null = null;
let colourBarKey = '';
let layerViews: LayerViews | null = null;
let layersFetchedAt = 0;
let layersStale = true;
const slider = element<HTMLInputElement>('layer-slider');

function renderLayers(): void {
  if (!layerViews) return;
  const last = layerViews.layerNames.length;
  slider.max = String(last);
  const stage = Math.min(Number(slider.value), last);
  element('layer-label').textContent = stage === 0 ? 'base' : `after layer ${stage} of ${last}`;
  element('layers-view').replaceChildren(layerStage(layerViews, stage));
}
slider.addEventListener('input', renderLayers);

// ---- the vector field of a continuous flow: arrows and particles, animated along t ----
let fieldViews: FieldViews | null = null;
let fieldFrameShown = -1;
/** The animation's position: frames 0…last, then a pause on the last frame (the model) before it starts again. */
let fieldClock = 0;
let fieldPlaying = true;
const FIELD_HOLD = 12;
const fieldSlider = element<HTMLInputElement>('field-slider');
const fieldPlay = element<HTMLButtonElement>('field-play');

function renderField(frame: number): void {
  if (!fieldViews) return;
  const last = fieldViews.times.length - 1;
  const k = Math.max(0, Math.min(last, frame));
  fieldSlider.max = String(last);
  fieldSlider.value = String(k);
  element('field-label').textContent = `t = ${fieldViews.times[k].toFixed(2)}`;
  element('field-view').replaceChildren(fieldFrame(fieldViews, k));
  fieldFrameShown = k;
}

function setFieldPlaying(playing: boolean): void {
  fieldPlaying = playing;
  fieldPlay.textContent = playing ? 'Pause' : 'Play';
}
fieldPlay.addEventListener('click', () => {
  if (!fieldPlaying) fieldClock = Number(fieldSlider.value) >= Number(fieldSlider.max) ? 0 : Number(fieldSlider.value);
  setFieldPlaying(!fieldPlaying);
});
fieldSlider.addEventListener('input', () => {
  setFieldPlaying(false);
  renderField(Number(fieldSlider.value));
});
// About 12 frames a second: an animation of a few hundred particles, drawn on the page's thread while the worker trains.
setInterval(() => {
  if (!fieldPlaying || !fieldViews || element('field-section').hidden) return;
  const last = fieldViews.times.length - 1;
  fieldClock = (fieldClock + 1) % (last + 1 + FIELD_HOLD);
  const frame = Math.min(fieldClock, last);
  if (frame !== fieldFrameShown) renderField(frame);
}, 80);

async function refreshViews(): Promise<void> {
  if (viewsPending || !latest) return;
  const now = performance.now();
  const densitiesDue = viewsStale && now >= viewsDueAt;
  const layersDue = layersStale || (viewsStale && now - layersFetchedAt > 2500);
  if (!densitiesDue && !layersDue) return;
  viewsPending = true;
  try {
    if (densitiesDue) {
      viewsStale = false;
      const asked = performance.now();
      const views = await client.request({ type: 'views', resolution: 72 });
      viewsDueAt = asked + Math.max(1000, 4 * (performance.now() - asked));
      const model = modelDensities(views.modelLogDensity);
      const domain = sharedDensityDomain(model, views.referenceDensity);
      const referenceTitle = views.referenceKind === 'true density' ? 'True density p(x)' : 'Data histogram';
      const key = `${views.range.flat().join(',')} ${referenceTitle}`;
      if (heatmaps?.key !== key) {
        const modelMap = heatmap(views.range, 'Model density q(x)');
        modelMap.figure.addEventListener('click', (event) => {
          const at = toData(modelMap.figure, event as MouseEvent);
          if (!at) return;
          chosenPoint = at;
          element('point-readout').textContent = `Chosen point (${at[0].toFixed(3)}, ${at[1].toFixed(3)}); its path back to the base is drawn below.`;
          layersStale = true;
        });
        heatmaps = { key, model: modelMap, reference: heatmap(views.range, referenceTitle) };
        element('density-model').replaceChildren(modelMap.figure);
        element('density-reference').replaceChildren(heatmaps.reference.figure);
      }
      heatmaps.model.update(model, views.resolution, domain);
      heatmaps.reference.update(views.referenceDensity, views.resolution, domain);
      const bar = domain.map((v) => v.toPrecision(3)).join(',');
      if (bar !== colourBarKey) {
        colourBarKey = bar;
        element('colour-bar').replaceChildren(colourBar(domain));
      }
      element('samples').replaceChildren(samplesOverData({ model: views.modelSamples, data: views.dataSamples, range: views.range }));
      element('curves').replaceChildren(lossCurves({ loss: views.lossCurve, kl: views.klCurve, lossLabel: LOSS_LABELS[latest?.modelKind ?? 'layered'] }));
      if (!chosenPoint) chosenPoint = [views.dataSamples[0], views.dataSamples[1]];
    }
    if (latest?.modelKind === 'continuous' && (layersStale || performance.now() - layersFetchedAt > 2500)) {
      // A continuous flow has no layers: its vector field and particles take the layer view's turn.
      layersStale = false;
      layersFetchedAt = performance.now();
      fieldViews = await client.request({ type: 'field' });
      renderField(fieldPlaying ? Math.min(fieldClock, fieldViews.times.length - 1) : Number(fieldSlider.value));
    } else if (layersStale || performance.now() - layersFetchedAt > 2500) {
      layersStale = false;
      layersFetchedAt = performance.now();
      const atEnd = layerViews !== null && Number(slider.value) >= layerViews.layerNames.length;
      layerViews = await client.request({ type: 'layers', point: chosenPoint ?? [0, 0] });
      if (atEnd || slider.dataset.touched !== '1') slider.value = String(layerViews.layerNames.length);
      renderLayers();
    }
  } catch (error) {
    showMessage(`The pictures could not be drawn: ${(error as Error).message}`);
  } finally {
    viewsPending = false;
  }
}
slider.addEventListener('change', () => {
  slider.dataset.touched = '1';
});
// Once a second: often enough to watch a run, rarely enough that drawing never competes with training for long.
setInterval(() => void refreshViews(), 1000);

// ---- automation hooks (tests, scripts) ----
const ready = (async () => {
  showSettings(settings);
  if (settings.data === 'drawn') renderPad();
  await configure();
  if (settings.autostart) await start();
})();
ready.catch((error: Error) => showMessage(`The playground could not start: ${error.message}`));

const playground = {
  /** Resolves once the first run is configured (and started, with autostart). */
  ready,
  start,
  pause: async () => {
    showStatus(await client.request({ type: 'pause' }));
    return latest;
  },
  step: async (steps = 10) => {
    showStatus(await client.request({ type: 'step', steps }));
    return latest;
  },
  reset: () => applyForm(true),
  /** The latest status: step, loss, KL, samples/s, backend, done. */
  status: () => latest,
  settings: () => ({ ...settings }),
  setBackend: async (backend: PlaygroundBackend) => {
    await switchBackend(backend);
    return latest;
  },
  /** The saved-model files: `{ 'model.json': text, [weightsFile]: base64 }`. */
  exportModel,
  /** Imports saved-model files given as `{ 'model.json': text, [weightsFile]: base64 }`. */
  importModel: (files: Record<string, string>) =>
    importFiles(
      Object.fromEntries(Object.entries(files).map(([name, content]) => [name, name.endsWith('.json') ? content : fromBase64(content)])),
      Object.keys(files).join(' + '),
    ),
  /** Natural-log model densities at points `[[x, y], …]`. */
  logProb: async (points: [number, number][]) => Array.from(await client.request({ type: 'logProb', points: Float32Array.from(points.flat()) })),
  /**
   * Trains the benchmark model of `pnpm bench` (784-D Real NVP) on a backend, or with `toy` the
   * playground run of that query (`data=chequerboard&flow=spline&layers=6`); samples per second.
   */
  benchmark: (options: { backend: PlaygroundBackend; batch: number; steps: number; rounds: number; wasmThreads?: number; toy?: string }) =>
    client.request({ type: 'benchmark', ...options }),
  /** Whether the visible message is an error, and its text. */
  message: () => (messageElement.hidden ? null : { text: messageElement.textContent ?? '', error: messageElement.className !== 'note' }),
};
(window as unknown as { playground: typeof playground }).playground = playground;
