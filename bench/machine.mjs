// What `pnpm bench` runs on, and the machine's own peak: the physical limit its figures are put against.
import { readFileSync } from 'node:fs';
import os from 'node:os';

function cpuinfo() {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

/**
 * The CPU model, its cores and vector extensions, and its nominal float32 peak:
 * cores × FMA lanes (16 with AVX-512, 8 with AVX2 and FMA, 4 otherwise) × 2 FLOP per FMA × 2 FMA units
 * per core × clock. The two FMA units are an assumption (the server cores of the last years have two;
 * some AVX-512 parts have one), so `pnpm bench` takes as the limit the larger of this figure and the
 * best matrix-product rate any library reaches in the same run.
 */
export function describeMachine() {
  const text = cpuinfo();
  const flags = new Set((text.match(/^flags\s*:\s*(.*)$/m)?.[1] ?? '').split(/\s+/));
  const megahertz = Number(text.match(/^cpu MHz\s*:\s*([\d.]+)$/m)?.[1] ?? os.cpus()[0]?.speed ?? 0);
  const cores = os.cpus().length;
  const lanes = flags.has('avx512f') ? 16 : flags.has('avx2') && flags.has('fma') ? 8 : 4;
  const vector = flags.has('avx512f') ? 'AVX-512' : flags.has('avx2') ? 'AVX2' : flags.has('asimd') ? 'NEON' : 'SSE';
  const fmaUnits = 2;
  const nominalGflops = (cores * lanes * 2 * fmaUnits * megahertz) / 1000;
  const model = os.cpus()[0]?.model ?? 'unknown CPU';
  return {
    model,
    cores,
    megahertz,
    vector,
    nominalGflops,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    peakFormula: `${cores} cores × ${lanes} float32 lanes (${vector}) × 2 FLOP per FMA × ${fmaUnits} FMA units × ${(megahertz / 1000).toFixed(2)} GHz = ${nominalGflops.toFixed(0)} GFLOP/s`,
  };
}
