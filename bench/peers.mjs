// The peers of `pnpm bench`: the same Real NVP in numpy and in PyTorch
// (../shared/reference/peers), each round in a process of its own, and what they run on.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The peers' environment: numpy's real speed needs OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, in the peer's command alone (the peers' README). */
function peerEnvironment() {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** The first Python that imports `module` (`python3`, then Debian's `/usr/bin/python3`, which has python3-torch), or null. */
export function pythonWith(module) {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 120_000 });
      return python;
    } catch {
      // not this one
    }
  }
  return null;
}

// Asks the loaded OpenBLAS for its core type and configuration (through ctypes: no extra package), and numpy's own build information.
const NUMPY_BLAS = `
import ctypes, json, numpy
info = {"numpy": numpy.__version__}
try:
    blas = numpy.__config__.CONFIG["Build Dependencies"]["blas"]
    info["blas"] = f'{blas.get("name")} {blas.get("version", "")}'.strip()
except Exception:
    info["blas"] = "unknown"
numpy.ones((64, 64), dtype=numpy.float32) @ numpy.ones((64, 64), dtype=numpy.float32)
libs = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.lower() and ".so" in line})
info["libraries"] = libs
for path in libs:
    try:
        lib = ctypes.CDLL(path)
        # Debian's OpenBLAS exports openblas_*; the wheels' scipy-openblas prefixes and suffixes the names.
        for prefix, suffix in (("openblas_", ""), ("scipy_openblas_", "64_"), ("scipy_openblas_", "")):
            corename = getattr(lib, f"{prefix}get_corename{suffix}", None)
            if corename is None:
                continue
            corename.restype = ctypes.c_char_p
            config = getattr(lib, f"{prefix}get_config{suffix}")
            config.restype = ctypes.c_char_p
            info["coreType"] = corename().decode()
            info["config"] = config().decode().strip()
            info["threads"] = getattr(lib, f"{prefix}get_num_threads{suffix}")()
            break
        if "coreType" in info:
            break
    except Exception:
        pass
print(json.dumps(info))
`;

/** numpy's version, its BLAS, the library loaded and the core type it runs (null without numpy). */
export function numpyInfo(python) {
  try {
    return JSON.parse(execFileSync(python, ['-c', NUMPY_BLAS], { env: peerEnvironment(), encoding: 'utf8', timeout: 120_000 }));
  } catch (error) {
    return { error: String(error.message).split('\n')[0] };
  }
}

/** PyTorch's version and threads. */
export function torchInfo(python) {
  try {
    const code =
      'import json, os, torch; torch.set_num_threads(os.cpu_count() or 1); print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "parallel": torch.__config__.parallel_info().splitlines()[0]}))';
    return JSON.parse(execFileSync(python, ['-c', code], { encoding: 'utf8', timeout: 120_000 }));
  } catch (error) {
    return { error: String(error.message).split('\n')[0] };
  }
}

/**
 * One round of the numpy peer: per batch its training and log-density samples/s, its matrix-product
 * rate and the model's FLOPs per sample, as numpy_realnvp.py counts them.
 */
export function numpyRound(python, peerDir, batches) {
  const script = join(peerDir, 'numpy_realnvp.py');
  if (!existsSync(script)) throw new Error(`${script} not found (--peer-dir)`);
  const out = execFileSync(python, [script, '--batch', batches.join(',')], { env: peerEnvironment(), encoding: 'utf8', timeout: 1_200_000 });
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  const result = JSON.parse(line.slice(7));
  const figures = {};
  for (const batch of batches) {
    const entry = result.flow784[`bs${batch}`];
    if (entry) figures[batch] = { train: entry.train_samples_per_s, logprob: entry.logprob_samples_per_s };
  }
  return { figures, productGflops: result.matmul['256x784x1024'].gflops, flops: result.flops?.flow784 };
}

/** One round of the PyTorch peer on `device` (cpu or cuda). */
export function torchRound(python, peerDir, batches, device) {
  const script = join(peerDir, 'torch_realnvp.py');
  if (!existsSync(script)) throw new Error(`${script} not found (--peer-dir)`);
  const out = execFileSync(python, [script, device, '--batch', batches.join(',')], { env: peerEnvironment(), encoding: 'utf8', timeout: 1_200_000 });
  const figures = {};
  for (const match of out.matchAll(/torch (train|logprob) B=(\d+):\s*([\d.]+) samples\/s/g)) {
    const batch = Number(match[2]);
    figures[batch] ??= {};
    figures[batch][match[1]] = Number(match[3]);
  }
  const products = [...out.matchAll(/torch matmul (\d+)x(\d+)x(\d+): ([\d.]+) GFLOP\/s/g)].map((m) => Number(m[4]));
  return { figures, productGflops: products.length ? Math.max(...products) : undefined };
}
