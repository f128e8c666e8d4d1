// Writes src/wasm/simd-kernels.wat, the WebAssembly of the wasm backend's own kernels (the matrix
// products of src/wasm/simd-products.ts and the Adam update of src/wasm/adam-update-kernel.ts), and
// src/wasm/simd-kernels-wasm.ts, its bytes (base64) assembled twice: importing an ordinary memory
// (TensorFlow.js's single-threaded SIMD build) and a shared one (its threaded build). The tiles are
// unrolled, so the text is generated here rather than typed. Run after changing this file:
// node scripts/build-simd-kernels.mjs. A test checks that the committed .wat and bytes are what
// this script makes.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import initWabt from 'wabt';

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'wasm');
const MEMORY = '(import "env" "memory" (memory 1))';
const SHARED_MEMORY = '(import "env" "memory" (memory 1 65536 shared))';

/** k is taken in chunks of this many: a 16-column band of B for one chunk (16 KB) stays in the L1 cache while it meets every row. */
const KC = 256;

const TILE_PARAMS =
  '(param $a i32) (param $sAi i32) (param $sAk i32) (param $b i32) (param $ldb i32) (param $c i32) (param $ldc i32) (param $K i32) (param $i0 i32) (param $i1 i32) (param $j0 i32) (param $j1 i32) (param $acc i32)';

/**
 * A tile of R rows and 4·V columns (V four-lane vectors, or one column when V is 0): for each
 * i in [i0, i1) by R and j in [j0, j1) by the width, C[i.., j..] = Σ_k A[i.., k] B[k, j..], k
 * ascending, each lane a float32 sum (the SIMD multiply and add round as the scalar ones do).
 */
function tile(name, R, V) {
  const lanes = V === 0;
  const width = lanes ? 1 : 4 * V;
  const cols = lanes ? 1 : V;
  const type = lanes ? 'f32' : 'v128';
  const zero = lanes ? '(f32.const 0)' : '(v128.const i32x4 0 0 0 0)';
  const load = (at, offset) => (lanes ? `(f32.load offset=${offset} ${at})` : `(v128.load offset=${offset} ${at})`);
  const splat = (at) => (lanes ? `(f32.load ${at})` : `(v128.load32_splat ${at})`);
  const mul = lanes ? 'f32.mul' : 'f32x4.mul';
  const add = lanes ? 'f32.add' : 'f32x4.add';
  const store = lanes ? 'f32.store' : 'v128.store';
  const acc = (r, v) => `$c${r}_${v}`;
  const L = [];
  L.push(`  ;; ${R} × ${width}: ${R * cols} accumulators of ${lanes ? 'one float' : 'four floats'}.`);
  L.push(`  (func $${name} (export "${name}") ${TILE_PARAMS}`);
  L.push('    (local $i i32) (local $j i32) (local $k i32) (local $pa i32) (local $pb i32) (local $pc i32) (local $ra i32)');
  L.push(`    (local $x ${type})${Array.from({ length: cols }, (_, v) => ` (local $b${v} ${type})`).join('')}`);
  for (let r = 0; r < R; r++) L.push(`   ${Array.from({ length: cols }, (_, v) => ` (local ${acc(r, v)} ${type})`).join('')}`);
  L.push('    (local.set $sAi (i32.shl (local.get $sAi) (i32.const 2)))');
  L.push('    (local.set $sAk (i32.shl (local.get $sAk) (i32.const 2)))');
  L.push('    (local.set $ldb (i32.shl (local.get $ldb) (i32.const 2)))');
  L.push('    (local.set $ldc (i32.shl (local.get $ldc) (i32.const 2)))');
  L.push('    (local.set $j (local.get $j0))');
  L.push('    (block $jDone (loop $jLoop');
  L.push('      (br_if $jDone (i32.ge_s (local.get $j) (local.get $j1)))');
  L.push('      (local.set $i (local.get $i0))');
  L.push('      (block $iDone (loop $iLoop');
  L.push('        (br_if $iDone (i32.ge_s (local.get $i) (local.get $i1)))');
  L.push('        (local.set $pc (i32.add (local.get $c) (i32.add (i32.mul (local.get $i) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 2)))))');
  L.push('        (if (local.get $acc) (then');
  for (let r = 0; r < R; r++)
    for (let v = 0; v < cols; v++)
      L.push(
        `          (local.set ${acc(r, v)} ${load(r === 0 ? '(local.get $pc)' : `(i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const ${r})))`, 16 * v)})`,
      );
  L.push('        ) (else');
  for (let r = 0; r < R; r++) for (let v = 0; v < cols; v++) L.push(`          (local.set ${acc(r, v)} ${zero})`);
  L.push('        ))');
  L.push('        (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $sAi))))');
  L.push('        (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))))');
  L.push('        (local.set $k (local.get $K))');
  L.push('        (block $kDone (loop $kLoop');
  L.push('          (br_if $kDone (i32.eqz (local.get $k)))');
  for (let v = 0; v < cols; v++) L.push(`          (local.set $b${v} ${load('(local.get $pb)', 16 * v)})`);
  L.push('          (local.set $ra (local.get $pa))');
  for (let r = 0; r < R; r++) {
    L.push(`          (local.set $x ${splat('(local.get $ra)')})`);
    if (r < R - 1) L.push('          (local.set $ra (i32.add (local.get $ra) (local.get $sAi)))');
    for (let v = 0; v < cols; v++) L.push(`          (local.set ${acc(r, v)} (${add} (local.get ${acc(r, v)}) (${mul} (local.get $x) (local.get $b${v}))))`);
  }
  L.push('          (local.set $pa (i32.add (local.get $pa) (local.get $sAk)))');
  L.push('          (local.set $pb (i32.add (local.get $pb) (local.get $ldb)))');
  L.push('          (local.set $k (i32.sub (local.get $k) (i32.const 1)))');
  L.push('          (br $kLoop)))');
  for (let r = 0; r < R; r++) {
    for (let v = 0; v < cols; v++) L.push(`        (${store} offset=${16 * v} (local.get $pc) (local.get ${acc(r, v)}))`);
    if (r < R - 1) L.push('        (local.set $pc (i32.add (local.get $pc) (local.get $ldc)))');
  }
  L.push(`        (local.set $i (i32.add (local.get $i) (i32.const ${R})))`);
  L.push('        (br $iLoop)))');
  L.push(`      (local.set $j (i32.add (local.get $j) (i32.const ${width})))`);
  L.push('      (br $jLoop)))');
  L.push('  )');
  return L.join('\n');
}

const HEADER = `;; Generated by scripts/build-simd-kernels.mjs: do not edit.
;;
;; The wasm backend's own kernels in WebAssembly with 128-bit SIMD, on TensorFlow.js's heap (this
;; module imports its memory), each over a range that a thread of heap-threads.ts takes.
;;
;; product: the rows [i0, i1) of C = op(A) · op(B) (+ bias) (then ReLU). Byte addresses a, b, c,
;; bias; element strides: A[i, k] at a + 4(i·sAi + k·sAk), B[k, j] at b + 4(k·sBk + j·sBj) (either
;; may be stored transposed), C[i, j] at c + 4(i·ldc + j). Each C[i, j] is a float32 sum over k
;; ascending from 0 (no fused multiply-add), then + bias[j], then max(·, 0). k is taken in chunks
;; of ${KC}; for each chunk, each band of 16 columns of B is copied into the thread's scratch (16
;; floats a row, one row after another: the band stays in the L1 cache, and a layout of B with a
;; stride of a power of two no longer maps its rows onto a few cache sets), then met by every row in
;; tiles of 2 rows × 16 columns: eight four-lane accumulators, which with the broadcast A value and
;; the four B vectors fit x64's sixteen vector registers (4 × 16 spilled and ran at 27 GFLOP/s
;; where 2 × 16 runs at about 37 on one core). Then bands of 4 columns, one row for an odd last
;; row, and single columns for N mod 4.
;;
;; adam: Adam's step for the elements [from, to) of one variable, as adamMoment and adamParameter
;; of @flows/kernels compute it in float32: g ← g·scale, m ← m·β₁ + g·(1 − β₁),
;; v ← v·β₂ + g²·(1 − β₂), p ← p·decay − (m·stepSize) / (√(v·c₂⁻¹) + ε), read and written in
;; place where the outputs are the inputs. sumsq: Σ g² of [from, to) in doubles (the clip norm).
`;

const MODULE_START = `(module
  ${MEMORY}
`;

const EPILOGUE = `  ;; C[i, j] ← C[i, j] + bias[j] (when flags & 1), then max(C[i, j], 0) (when flags & 2), rows [i0, i1).
  (func $epilogue (param $c i32) (param $ldc i32) (param $N i32) (param $bias i32) (param $flags i32) (param $i0 i32) (param $i1 i32)
    (local $i i32) (local $j i32) (local $p i32) (local $v f32)
    (local.set $i (local.get $i0))
    (block $iDone (loop $iLoop
      (br_if $iDone (i32.ge_s (local.get $i) (local.get $i1)))
      (local.set $p (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i) (local.get $ldc)) (i32.const 2))))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_s (local.get $j) (local.get $N)))
        (local.set $v (f32.load (local.get $p)))
        (if (i32.and (local.get $flags) (i32.const 1))
          (then (local.set $v (f32.add (local.get $v) (f32.load (i32.add (local.get $bias) (i32.shl (local.get $j) (i32.const 2))))))))
        (if (i32.and (local.get $flags) (i32.const 2))
          (then (local.set $v (f32.max (local.get $v) (f32.const 0)))))
        (f32.store (local.get $p) (local.get $v))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jLoop)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $iLoop)))
  )
`;

/** Bytes of one thread's scratch: a chunk of one band of B, KC × 16 floats. */
export const SCRATCH_BYTES = KC * 16 * 4;

const PACK = `  ;; dst[k·w + c] = B[k0 + k, j + c] for k < kc, c < w, B[k, j] at b + 4(k·sBk + j·sBj): one band of
  ;; B for one chunk of k, laid out as the tiles read it (B rows of w floats, one after the other).
  (func $pack (param $b i32) (param $sBk i32) (param $sBj i32) (param $k0 i32) (param $kc i32) (param $j i32) (param $w i32) (param $dst i32)
    (local $k i32) (local $cc i32) (local $src i32) (local $row i32)
    (local.set $sBk (i32.shl (local.get $sBk) (i32.const 2)))
    (local.set $sBj (i32.shl (local.get $sBj) (i32.const 2)))
    (local.set $row (i32.add (local.get $b) (i32.add (i32.mul (local.get $k0) (local.get $sBk)) (i32.mul (local.get $j) (local.get $sBj)))))
    (local.set $k (i32.const 0))
    (block $kDone (loop $kLoop
      (br_if $kDone (i32.ge_s (local.get $k) (local.get $kc)))
      (if (i32.and (i32.eq (local.get $w) (i32.const 16)) (i32.eq (local.get $sBj) (i32.const 4)))
        (then
          (v128.store offset=0 (local.get $dst) (v128.load offset=0 (local.get $row)))
          (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $row)))
          (v128.store offset=32 (local.get $dst) (v128.load offset=32 (local.get $row)))
          (v128.store offset=48 (local.get $dst) (v128.load offset=48 (local.get $row)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 64))))
        (else
          (local.set $src (local.get $row))
          (local.set $cc (i32.const 0))
          (block $cDone (loop $cLoop
            (br_if $cDone (i32.ge_s (local.get $cc) (local.get $w)))
            (f32.store (local.get $dst) (f32.load (local.get $src)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
            (local.set $src (i32.add (local.get $src) (local.get $sBj)))
            (local.set $cc (i32.add (local.get $cc) (i32.const 1)))
            (br $cLoop)))))
      (local.set $row (i32.add (local.get $row) (local.get $sBk)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $kLoop)))
  )
`;

/** One band of w columns from j: pack it, then the tiles of two rows and of the odd last row over it. */
function band(w, pairTile, rowTile) {
  const tileCall = (name, from, to) =>
    `        (call $${name} (local.get $pa) (local.get $sAi) (local.get $sAk) (i32.sub (local.get $scratch) (i32.shl (local.get $j) (i32.const 2))) (i32.const ${w}) (local.get $c) (local.get $ldc) (local.get $kc) ${from} ${to} (local.get $j) (i32.add (local.get $j) (i32.const ${w})) (local.get $acc))`;
  return [
    `      (block $w${w}Done (loop $w${w}Loop`,
    `        (br_if $w${w}Done (i32.gt_s (i32.add (local.get $j) (i32.const ${w})) (local.get $N)))`,
    `        (call $pack (local.get $b) (local.get $sBk) (local.get $sBj) (local.get $k0) (local.get $kc) (local.get $j) (i32.const ${w}) (local.get $scratch))`,
    pairTile ? tileCall(pairTile, '(local.get $i0)', '(local.get $iEven)') : tileCall(rowTile, '(local.get $i0)', '(local.get $i1)'),
    ...(pairTile ? [tileCall(rowTile, '(local.get $iEven)', '(local.get $i1)')] : []),
    `        (local.set $j (i32.add (local.get $j) (i32.const ${w})))`,
    `        (br $w${w}Loop)))`,
  ].join('\n');
}

const PRODUCT = () => `  ;; The rows [i0, i1) of C = op(A) · op(B) (+ bias) (then ReLU), N columns, for k in chunks of ${KC}:
  ;; each band of 16 columns (then 4, then 1) packed into this thread's scratch, then met by every row.
  (func (export "product") (param $a i32) (param $sAi i32) (param $sAk i32) (param $b i32) (param $sBk i32) (param $sBj i32) (param $c i32) (param $ldc i32)
    (param $K i32) (param $N i32) (param $i0 i32) (param $i1 i32) (param $bias i32) (param $flags i32) (param $scratch i32)
    (local $iEven i32) (local $k0 i32) (local $kc i32) (local $pa i32) (local $acc i32) (local $j i32)
    (local.set $iEven (i32.add (local.get $i0) (i32.and (i32.sub (local.get $i1) (local.get $i0)) (i32.const -2))))
    (local.set $k0 (i32.const 0))
    (block $kDone (loop $kLoop
      (local.set $kc (i32.sub (local.get $K) (local.get $k0)))
      (if (i32.gt_s (local.get $kc) (i32.const ${KC})) (then (local.set $kc (i32.const ${KC}))))
      (local.set $pa (i32.add (local.get $a) (i32.shl (i32.mul (local.get $k0) (local.get $sAk)) (i32.const 2))))
      (local.set $acc (i32.ne (local.get $k0) (i32.const 0)))
      (local.set $j (i32.const 0))
${band(16, 'tile_2x16', 'tile_1x16')}
${band(4, 'tile_2x4', 'tile_1x4')}
${band(1, null, 'tile_1x1')}
      (local.set $k0 (i32.add (local.get $k0) (local.get $kc)))
      (br_if $kLoop (i32.lt_s (local.get $k0) (local.get $K)))))
    (if (local.get $flags) (then (call $epilogue (local.get $c) (local.get $ldc) (local.get $N) (local.get $bias) (local.get $flags) (local.get $i0) (local.get $i1))))
  )
`;

const ADAM = `  ;; Adam's step for the elements [from, to) of one variable (byte addresses of its element 0; the
  ;; outputs may be the inputs): four at a time, then one at a time.
  (func (export "adam") (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $pOut i32) (param $mOut i32) (param $vOut i32)
    (param $from i32) (param $to i32) (param $beta1 f32) (param $rest1 f32) (param $beta2 f32) (param $rest2 f32) (param $scale f32)
    (param $step f32) (param $ic2 f32) (param $eps f32) (param $decay f32)
    (local $i i32) (local $o i32) (local $gv v128) (local $mv v128) (local $vv v128)
    (local $B1 v128) (local $R1 v128) (local $B2 v128) (local $R2 v128) (local $S v128) (local $ST v128) (local $IC v128) (local $E v128) (local $D v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local.set $B1 (f32x4.splat (local.get $beta1)))
    (local.set $R1 (f32x4.splat (local.get $rest1)))
    (local.set $B2 (f32x4.splat (local.get $beta2)))
    (local.set $R2 (f32x4.splat (local.get $rest2)))
    (local.set $S (f32x4.splat (local.get $scale)))
    (local.set $ST (f32x4.splat (local.get $step)))
    (local.set $IC (f32x4.splat (local.get $ic2)))
    (local.set $E (f32x4.splat (local.get $eps)))
    (local.set $D (f32x4.splat (local.get $decay)))
    (local.set $i (local.get $from))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $to)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (local.set $gv (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $o))) (local.get $S)))
      (local.set $mv (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $o))) (local.get $B1)) (f32x4.mul (local.get $gv) (local.get $R1))))
      (local.set $vv (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $o))) (local.get $B2))
        (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $R2))))
      (v128.store (i32.add (local.get $mOut) (local.get $o)) (local.get $mv))
      (v128.store (i32.add (local.get $vOut) (local.get $o)) (local.get $vv))
      (v128.store (i32.add (local.get $pOut) (local.get $o))
        (f32x4.sub (f32x4.mul (v128.load (i32.add (local.get $p) (local.get $o))) (local.get $D))
          (f32x4.div (f32x4.mul (local.get $mv) (local.get $ST)) (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vv) (local.get $IC))) (local.get $E)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vLoop)))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_s (local.get $i) (local.get $to)))
      (local.set $o (i32.shl (local.get $i) (i32.const 2)))
      (local.set $gs (f32.mul (f32.load (i32.add (local.get $g) (local.get $o))) (local.get $scale)))
      (local.set $ms (f32.add (f32.mul (f32.load (i32.add (local.get $m) (local.get $o))) (local.get $beta1)) (f32.mul (local.get $gs) (local.get $rest1))))
      (local.set $vs (f32.add (f32.mul (f32.load (i32.add (local.get $v) (local.get $o))) (local.get $beta2))
        (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $rest2))))
      (f32.store (i32.add (local.get $mOut) (local.get $o)) (local.get $ms))
      (f32.store (i32.add (local.get $vOut) (local.get $o)) (local.get $vs))
      (f32.store (i32.add (local.get $pOut) (local.get $o))
        (f32.sub (f32.mul (f32.load (i32.add (local.get $p) (local.get $o))) (local.get $decay))
          (f32.div (f32.mul (local.get $ms) (local.get $step)) (f32.add (f32.sqrt (f32.mul (local.get $vs) (local.get $ic2))) (local.get $eps)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sLoop)))
  )

  ;; Σ g² over the elements [from, to) of g, in doubles (two f64x2 sums, then one at a time).
  (func (export "sumsq") (param $g i32) (param $from i32) (param $to i32) (result f64)
    (local $i i32) (local $x v128) (local $lo v128) (local $hi v128) (local $s f64) (local $e f64)
    (local.set $i (local.get $from))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $to)))
      (local.set $x (v128.load (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $lo (f64x2.add (local.get $lo) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (f64x2.promote_low_f32x4 (local.get $x)))))
      (local.set $x (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
      (local.set $hi (f64x2.add (local.get $hi) (f64x2.mul (f64x2.promote_low_f32x4 (local.get $x)) (f64x2.promote_low_f32x4 (local.get $x)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $vLoop)))
    (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
    (local.set $s (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_s (local.get $i) (local.get $to)))
      (local.set $e (f64.promote_f32 (f32.load (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 2))))))
      (local.set $s (f64.add (local.get $s) (f64.mul (local.get $e) (local.get $e))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sLoop)))
    (local.get $s)
  )
`;

/** The module's text, importing an ordinary memory. */
export function simdKernelsWat() {
  return `${HEADER}${MODULE_START}${[tile('tile_2x16', 2, 4), tile('tile_2x4', 2, 1), tile('tile_1x16', 1, 4), tile('tile_1x4', 1, 1), tile('tile_1x1', 1, 0)].join('\n')}\n${EPILOGUE}${PACK}${PRODUCT()}\n${ADAM})\n`;
}

/** The bytes of both variants, as wabt assembles them (SIMD and threads enabled). */
export async function assembleSimdKernels(wat = simdKernelsWat()) {
  const wabt = await initWabt();
  const assemble = (text) => {
    const module = wabt.parseWat('simd-kernels.wat', text, { simd: true, threads: true });
    try {
      return new Uint8Array(module.toBinary({}).buffer);
    } finally {
      module.destroy();
    }
  };
  return { plain: assemble(wat), shared: assemble(wat.replace(MEMORY, SHARED_MEMORY)) };
}

/** The generated TypeScript module holding both. */
export function simdKernelsModuleText({ plain, shared }) {
  const b64 = (bytes) => Buffer.from(bytes).toString('base64');
  return `// Generated by scripts/build-simd-kernels.mjs from simd-kernels.wat: do not edit.
/** The own kernels' WebAssembly module importing an ordinary memory (${plain.length} bytes), base64. */
export const SIMD_KERNELS_WASM =
  '${b64(plain)}';
/** The same module importing a shared memory (the threaded build's heap), base64. */
export const SIMD_KERNELS_SHARED_WASM =
  '${b64(shared)}';
/** Bytes of the scratch each thread's \`product\` calls need (one chunk of one band of B). */
export const SIMD_KERNELS_SCRATCH_BYTES = ${SCRATCH_BYTES};
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const wat = simdKernelsWat();
  writeFileSync(join(src, 'simd-kernels.wat'), wat);
  const bytes = await assembleSimdKernels(readFileSync(join(src, 'simd-kernels.wat'), 'utf8'));
  writeFileSync(join(src, 'simd-kernels-wasm.ts'), simdKernelsModuleText(bytes));
  console.log(`src/wasm/simd-kernels-wasm.ts: ${bytes.plain.length} and ${bytes.shared.length} bytes`);
}
