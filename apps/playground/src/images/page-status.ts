import type { SizeRow } from './digit-checks.js';
import type { CodingResult } from './messages.js';

/** A round trip as the page shows it: the coding result without the file's bytes, with their count and where the digits came from. */
export type CodingSummary = Omit<CodingResult, 'file'> & { fileBytes: number; source: string };

/** The image page's state, which `window.imagePage.status()` gives to the tests and the console. */
export interface ImagePageStatus {
  backend: string;
  density: string | null;
  /** Whether the density model codes digits (local bits-back: a multi-scale flow of logit-preprocessed pixels). */
  densityCodes: boolean;
  idf: string | null;
  vae: string | null;
  samplesDrawn: number;
  interpolationDrawn: number;
  busy: boolean;
  /** The integer flow's round trip, and bits-back with the VAE's (of the binarized digits), each when its model is loaded. */
  result: CodingSummary | null;
  vaeResult: CodingSummary | null;
  /** Local bits-back with the density flow, when it codes. */
  flowResult: CodingSummary | null;
  sizes: SizeRow[] | null;
  error: string | null;
}

/** What the page puts on `window.imagePage`. */
export interface ImagePageHooks {
  ready: Promise<void>;
  status(): ImagePageStatus;
  /** The last coded file of the integer flow, and of bits-back, as byte arrays. */
  lastFile(): number[] | null;
  lastVaeFile(): number[] | null;
  /** The last file of local bits-back with the density flow. */
  lastFlowFile(): number[] | null;
}
