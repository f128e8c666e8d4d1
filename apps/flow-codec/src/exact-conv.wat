;; The exact path's convolution (exact-network.ts) in WebAssembly with 128-bit SIMD: the same sums
;; as the JavaScript, in the same order, so the same bits. Each output starts at its bias and adds
;; value · F for its inputs, taps (i, j) first, then channels c, all ascending, a zero input skipped.
;;
;; First every input pixel's nonzero channels are listed (their filter offsets and values, in
;; ascending c, without a branch), so that the sums walk those lists instead of testing each input
;; (half of a ReLU layer's outputs are zero, at random: a test per input mispredicts often).
;; Then the outputs, sixteen at a time in eight f64x2 accumulators (two lanes are two outputs, each
;; its own sum; f64x2.mul and f64x2.add round each lane as f64.mul and f64.add do, and there is no
;; fused multiply-add), the rest eight, four, two and one at a time. With `relu`, each output is max(sum, 0)
;; (f64.max as Math.max: NaN stays NaN, max(−0, 0) = +0).
;;
;; conv(in, rows, height, width, filter, bias, fanIn, fanOut, k, out, relu, cnt, idx, val): byte
;; addresses of f64 arrays in this module's memory (input [rows, height, width, fanIn], filter
;; [k, k, fanIn, fanOut], bias [fanOut], out [rows, height, width, fanOut]) and of the caller's
;; scratch for the lists (cnt: i32 per input pixel; idx: i32 and val: f64 per input).
(module
  (memory (export "memory") 1)
  (func (export "conv")
    (param $in i32) (param $rows i32) (param $h i32) (param $w i32) (param $f i32) (param $b i32)
    (param $fanIn i32) (param $fanOut i32) (param $k i32) (param $out i32) (param $relu i32)
    (param $cnt i32) (param $idx i32) (param $val i32)
    (local $pixels i32) (local $q i32) (local $c i32) (local $n i32) (local $v f64)
    (local $row i32) (local $rowAt i32) (local $oy i32) (local $ox i32) (local $o i32) (local $i i32) (local $j i32)
    (local $pad i32) (local $to i32) (local $iLow i32) (local $iHigh i32) (local $jLow i32) (local $jHigh i32)
    (local $pI i32) (local $pV i32) (local $pEnd i32) (local $tapF i32) (local $fp i32) (local $bp i32) (local $op i32)
    (local $vv v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128) (local $s f64)
    (local.set $pad (i32.shr_s (i32.sub (local.get $k) (i32.const 1)) (i32.const 1)))
    (local.set $pixels (i32.mul (local.get $rows) (i32.mul (local.get $h) (local.get $w))))
    ;; The lists: for pixel q, idx[q·fanIn + m] = c_m·fanOut·8 and val[q·fanIn + m] = in[q, c_m] for its
    ;; nonzero channels c_0 < c_1 < …, cnt[q] of them (each input is stored, the count moves on if nonzero).
    (local.set $q (i32.const 0))
    (block $qDone (loop $qLoop
      (br_if $qDone (i32.ge_s (local.get $q) (local.get $pixels)))
      (local.set $n (i32.const 0))
      (local.set $c (i32.const 0))
      (block $lDone (loop $lLoop
        (br_if $lDone (i32.ge_s (local.get $c) (local.get $fanIn)))
        (local.set $v (f64.load (i32.add (local.get $in) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $fanIn)) (local.get $c)) (i32.const 3)))))
        (i32.store (i32.add (local.get $idx) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $fanIn)) (local.get $n)) (i32.const 2)))
          (i32.shl (i32.mul (local.get $c) (local.get $fanOut)) (i32.const 3)))
        (f64.store (i32.add (local.get $val) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $fanIn)) (local.get $n)) (i32.const 3)))
          (local.get $v))
        (local.set $n (i32.add (local.get $n) (f64.ne (local.get $v) (f64.const 0))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $lLoop)))
      (i32.store (i32.add (local.get $cnt) (i32.shl (local.get $q) (i32.const 2))) (local.get $n))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $qLoop)))
    (local.set $row (i32.const 0))
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_s (local.get $row) (local.get $rows)))
      (local.set $rowAt (i32.mul (local.get $row) (i32.mul (local.get $h) (local.get $w))))
      (local.set $oy (i32.const 0))
      (block $oyDone (loop $oyLoop
        (br_if $oyDone (i32.ge_s (local.get $oy) (local.get $h)))
        ;; taps i with 0 <= oy + i - pad < h
        (local.set $iLow (i32.sub (local.get $pad) (local.get $oy)))
        (if (i32.lt_s (local.get $iLow) (i32.const 0)) (then (local.set $iLow (i32.const 0))))
        (local.set $iHigh (i32.sub (i32.add (local.get $h) (local.get $pad)) (local.get $oy)))
        (if (i32.gt_s (local.get $iHigh) (local.get $k)) (then (local.set $iHigh (local.get $k))))
        (local.set $ox (i32.const 0))
        (block $oxDone (loop $oxLoop
          (br_if $oxDone (i32.ge_s (local.get $ox) (local.get $w)))
          (local.set $jLow (i32.sub (local.get $pad) (local.get $ox)))
          (if (i32.lt_s (local.get $jLow) (i32.const 0)) (then (local.set $jLow (i32.const 0))))
          (local.set $jHigh (i32.sub (i32.add (local.get $w) (local.get $pad)) (local.get $ox)))
          (if (i32.gt_s (local.get $jHigh) (local.get $k)) (then (local.set $jHigh (local.get $k))))
          (local.set $to (i32.add (local.get $out)
            (i32.shl (i32.mul (i32.add (local.get $rowAt) (i32.add (i32.mul (local.get $oy) (local.get $w)) (local.get $ox)))
                              (local.get $fanOut)) (i32.const 3))))
          (local.set $o (i32.const 0))
          ;; outputs o … o + 15 in 8 f64x2 accumulators
          (block $done16 (loop $block16
            (br_if $done16 (i32.gt_s (i32.add (local.get $o) (i32.const 16)) (local.get $fanOut)))
            (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $o) (i32.const 3))))
            (local.set $a0 (v128.load offset=0 (local.get $bp)))
            (local.set $a1 (v128.load offset=16 (local.get $bp)))
            (local.set $a2 (v128.load offset=32 (local.get $bp)))
            (local.set $a3 (v128.load offset=48 (local.get $bp)))
            (local.set $a4 (v128.load offset=64 (local.get $bp)))
            (local.set $a5 (v128.load offset=80 (local.get $bp)))
            (local.set $a6 (v128.load offset=96 (local.get $bp)))
            (local.set $a7 (v128.load offset=112 (local.get $bp)))
            (local.set $i (local.get $iLow))
            (block $iDone16 (loop $iLoop16
              (br_if $iDone16 (i32.ge_s (local.get $i) (local.get $iHigh)))
              (local.set $j (local.get $jLow))
              (block $jDone16 (loop $jLoop16
                (br_if $jDone16 (i32.ge_s (local.get $j) (local.get $jHigh)))
                ;; q: the input pixel under tap (i, j); its nonzero channels are pI … pEnd (offsets) and pV (values)
                (local.set $q (i32.add (local.get $rowAt) (i32.add
                  (i32.mul (i32.sub (i32.add (local.get $oy) (local.get $i)) (local.get $pad)) (local.get $w))
                  (i32.sub (i32.add (local.get $ox) (local.get $j)) (local.get $pad)))))
                (local.set $pI (i32.add (local.get $idx) (i32.shl (i32.mul (local.get $q) (local.get $fanIn)) (i32.const 2))))
                (local.set $pV (i32.add (local.get $val) (i32.shl (i32.mul (local.get $q) (local.get $fanIn)) (i32.const 3))))
                (local.set $pEnd (i32.add (local.get $pI) (i32.shl (i32.load (i32.add (local.get $cnt) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 2))))
                ;; tapF = f + ((i·k + j)·fanIn·fanOut + o)·8
                (local.set $tapF (i32.add (local.get $f) (i32.shl (i32.add
                  (i32.mul (i32.mul (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $j)) (local.get $fanIn)) (local.get $fanOut))
                  (local.get $o)) (i32.const 3))))
                (block $cDone16 (loop $cLoop16
                  (br_if $cDone16 (i32.ge_u (local.get $pI) (local.get $pEnd)))
                  (local.set $fp (i32.add (local.get $tapF) (i32.load (local.get $pI))))
                  (local.set $vv (v128.load64_splat (local.get $pV)))
                  (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $vv) (v128.load offset=0 (local.get $fp)))))
                  (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $vv) (v128.load offset=16 (local.get $fp)))))
                  (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $vv) (v128.load offset=32 (local.get $fp)))))
                  (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $vv) (v128.load offset=48 (local.get $fp)))))
                  (local.set $a4 (f64x2.add (local.get $a4) (f64x2.mul (local.get $vv) (v128.load offset=64 (local.get $fp)))))
                  (local.set $a5 (f64x2.add (local.get $a5) (f64x2.mul (local.get $vv) (v128.load offset=80 (local.get $fp)))))
                  (local.set $a6 (f64x2.add (local.get $a6) (f64x2.mul (local.get $vv) (v128.load offset=96 (local.get $fp)))))
                  (local.set $a7 (f64x2.add (local.get $a7) (f64x2.mul (local.get $vv) (v128.load offset=112 (local.get $fp)))))
                  (local.set $pI (i32.add (local.get $pI) (i32.const 4)))
                  (local.set $pV (i32.add (local.get $pV) (i32.const 8)))
                  (br $cLoop16)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jLoop16)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $iLoop16)))
            (local.set $op (i32.add (local.get $to) (i32.shl (local.get $o) (i32.const 3))))
            (if (local.get $relu) (then
              (local.set $a0 (f64x2.max (local.get $a0) (v128.const f64x2 0 0)))
              (local.set $a1 (f64x2.max (local.get $a1) (v128.const f64x2 0 0)))
              (local.set $a2 (f64x2.max (local.get $a2) (v128.const f64x2 0 0)))
              (local.set $a3 (f64x2.max (local.get $a3) (v128.const f64x2 0 0)))
              (local.set $a4 (f64x2.max (local.get $a4) (v128.const f64x2 0 0)))
              (local.set $a5 (f64x2.max (local.get $a5) (v128.const f64x2 0 0)))
              (local.set $a6 (f64x2.max (local.get $a6) (v128.const f64x2 0 0)))
              (local.set $a7 (f64x2.max (local.get $a7) (v128.const f64x2 0 0)))
            ))
            (v128.store offset=0 (local.get $op) (local.get $a0))
            (v128.store offset=16 (local.get $op) (local.get $a1))
            (v128.store offset=32 (local.get $op) (local.get $a2))
            (v128.store offset=48 (local.get $op) (local.get $a3))
            (v128.store offset=64 (local.get $op) (local.get $a4))
            (v128.store offset=80 (local.get $op) (local.get $a5))
            (v128.store offset=96 (local.get $op) (local.get $a6))
            (v128.store offset=112 (local.get $op) (local.get $a7))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br $block16)))
          ;; outputs o … o + 7 in 4 f64x2 accumulators
          (block $done8 (loop $block8
            (br_if $done8 (i32.gt_s (i32.add (local.get $o) (i32.const 8)) (local.get $fanOut)))
            (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $o) (i32.const 3))))
            (local.set $a0 (v128.load offset=0 (local.get $bp)))
            (local.set $a1 (v128.load offset=16 (local.get $bp)))
            (local.set $a2 (v128.load offset=32 (local.get $bp)))
            (local.set $a3 (v128.load offset=48 (local.get $bp)))
            (local.set $i (local.get $iLow))
            (block $iDone8 (loop $iLoop8
              (br_if $iDone8 (i32.ge_s (local.get $i) (local.get $iHigh)))
              (local.set $j (local.get $jLow))
              (block $jDone8 (loop $jLoop8
                (br_if $jDone8 (i32.ge_s (local.get $j) (local.get $jHigh)))
                ;; q: the input pixel under tap (i, j); its nonzero channels are pI … pEnd (offsets) and pV (values)
                (local.set $q (i32.add (local.get $rowAt) (i32.add
                  (i32.mul (i32.sub (i32.add (local.get $oy) (local.get $i)) (local.get $pad)) (local.get $w))
                  (i32.sub (i32.add (local.get $ox) (local.get $j)) (local.get $pad)))))
                (local.set $pI (i32.add (local.get $idx) (i32.shl (i32.mul (local.get $q) (local.get $fanIn)) (i32.const 2))))
                (local.set $pV (i32.add (local.get $val) (i32.shl (i32.mul (local.get $q) (local.get $fanIn)) (i32.const 3))))
                (local.set $pEnd (i32.add (local.get $pI) (i32.shl (i32.load (i32.add (local.get $cnt) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 2))))
                ;; tapF = f + ((i·k + j)·fanIn·fanOut + o)·8
                (local.set $tapF (i32.add (local.get $f) (i32.shl (i32.add
                  (i32.mul (i32.mul (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $j)) (local.get $fanIn)) (local.get $fanOut))
                  (local.get $o)) (i32.const 3))))
                (block $cDone8 (loop $cLoop8
                  (br_if $cDone8 (i32.ge_u (local.get $pI) (local.get $pEnd)))
                  (local.set $fp (i32.add (local.get $tapF) (i32.load (local.get $pI))))
                  (local.set $vv (v128.load64_splat (local.get $pV)))
                  (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $vv) (v128.load offset=0 (local.get $fp)))))
                  (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $vv) (v128.load offset=16 (local.get $fp)))))
                  (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $vv) (v128.load offset=32 (local.get $fp)))))
                  (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $vv) (v128.load offset=48 (local.get $fp)))))
                  (local.set $pI (i32.add (local.get $pI) (i32.const 4)))
                  (local.set $pV (i32.add (local.get $pV) (i32.const 8)))
                  (br $cLoop8)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jLoop8)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $iLoop8)))
            (local.set $op (i32.add (local.get $to) (i32.shl (local.get $o) (i32.const 3))))
            (if (local.get $relu) (then
              (local.set $a0 (f64x2.max (local.get $a0) (v128.const f64x2 0 0)))
              (local.set $a1 (f64x2.max (local.get $a1) (v128.const f64x2 0 0)))
              (local.set $a2 (f64x2.max (local.get $a2) (v128.const f64x2 0 0)))
              (local.set $a3 (f64x2.max (local.get $a3) (v128.const f64x2 0 0)))
            ))
            (v128.store offset=0 (local.get $op) (local.get $a0))
            (v128.store offset=16 (local.get $op) (local.get $a1))
            (v128.store offset=32 (local.get $op) (local.get $a2))
            (v128.store offset=48 (local.get $op) (local.get $a3))
            (local.set $o (i32.add (local.get $o) (i32.const 8)))
            (br $block8)))
          ;; outputs o … o + 3 in 2 f64x2 accumulators
          (block $done4 (loop $block4
            (br_if $done4 (i32.gt_s (i32.add (local.get $o) (i32.const 4)) (local.get $fanOut)))
            (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $o) (i32.const 3))))
            (local.set $a0 (v128.load offset=0 (local.get $bp)))
            (local.set $a1 (v128.load offset=16 (local.get $bp)))
            (local.set $i (local.get $iLow))
            (block $iDone4 (loop $iLoop4
              (br_if $iDone4 (i32.ge_s (local.get $i) (local.get $iHigh)))
              (local.set $j (local.get $jLow))
              (block $jDone4 (loop $jLoop4
                (br_if $jDone4 (i32.ge_s (local.get $j) (local.get $jHigh)))
                ;; q: the input pixel under tap (i, j); its nonzero channels are pI … pEnd (offsets) and pV (values)
                (local.set $q (i32.add (local.get $rowAt) (i32.add
                  (i32.mul (i32.sub (i32.add (local.get $oy) (local.get $i)) (local.get $pad)) (local.get $w))
                  (i32.sub (i32.add (local.get $ox) (local.get $j)) (local.get $pad)))))
                (local.set $pI (i32.add (local.get $idx) (i32.shl (i32.mul (local.get $q) (local.get $fanIn)) (i32.const 2))))
                (local.set $pV (i32.add (local.get $val) (i32.shl (i32.mul (local.get $q) (local.get $fanIn)) (i32.const 3))))
                (local.set $pEnd (i32.add (local.get $pI) (i32.shl (i32.load (i32.add (local.get $cnt) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 2))))
                ;; tapF = f + ((i·k + j)·fanIn·fanOut + o)·8
                (local.set $tapF (i32.add (local.get $f) (i32.shl (i32.add
                  (i32.mul (i32.mul (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $j)) (local.get $fanIn)) (local.get $fanOut))
                  (local.get $o)) (i32.const 3))))
                (block $cDone4 (loop $cLoop4
                  (br_if $cDone4 (i32.ge_u (local.get $pI) (local.get $pEnd)))
                  (local.set $fp (i32.add (local.get $tapF) (i32.load (local.get $pI))))
                  (local.set $vv (v128.load64_splat (local.get $pV)))
                  (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $vv) (v128.load offset=0 (local.get $fp)))))
                  (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $vv) (v128.load offset=16 (local.get $fp)))))
                  (local.set $pI (i32.add (local.get $pI) (i32.const 4)))
                  (local.set $pV (i32.add (local.get $pV) (i32.const 8)))
                  (br $cLoop4)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jLoop4)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $iLoop4)))
            (local.set $op (i32.add (local.get $to) (i32.shl (local.get $o) (i32.const 3))))
            (if (local.get $relu) (then
              (local.set $a0 (f64x2.max (local.get $a0) (v128.const f64x2 0 0)))
              (local.set $a1 (f64x2.max (local.get $a1) (v128.const f64x2 0 0)))
            ))
            (v128.store offset=0 (local.get $op) (local.get $a0))
            (v128.store offset=16 (local.get $op) (local.get $a1))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $block4)))
          ;; outputs o … o + 1 in 1 f64x2 accumulator
          (block $done2 (loop $block2
            (br_if $done2 (i32.gt_s (i32.add (local.get $o) (i32.const 2)) (local.get $fanOut)))
            (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $o) (i32.const 3))))
            (local.set $a0 (v128.load offset=0 (local.get $bp)))
            (local.set $i (local.get $iLow))
            (block $iDone2 (loop $iLoop2
              (br_if $iDone2 (i32.ge_s (local.get $i) (local.get $iHigh)))
              (local.set $j (local.get $jLow))
              (block $jDone2 (loop $jLoop2
                (br_if $jDone2 (i32.ge_s (local.get $j) (local.get $jHigh)))
                ;; q: the input pixel under tap (i, j); its nonzero channels are pI … pEnd (offsets) and pV (values)
                (local.set $q (i32.add (local.get $rowAt) (i32.add
                  (i32.mul (i32.sub (i32.add (local.get $oy) (local.get $i)) (local.get $pad)) (local.get $w))
                  (i32.sub (i32.add (local.get $ox) (local.get $j)) (local.get $pad)))))
                (local.set $pI (i32.add (local.get $idx) (i32.shl (i32.mul (local.get $q) (local.get $fanIn)) (i32.const 2))))
                (local.set $pV (i32.add (local.get $val) (i32.shl (i32.mul (local.get $q) (local.get $fanIn)) (i32.const 3))))
                (local.set $pEnd (i32.add (local.get $pI) (i32.shl (i32.load (i32.add (local.get $cnt) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 2))))
                ;; tapF = f + ((i·k + j)·fanIn·fanOut + o)·8
                (local.set $tapF (i32.add (local.get $f) (i32.shl (i32.add
                  (i32.mul (i32.mul (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $j)) (local.get $fanIn)) (local.get $fanOut))
                  (local.get $o)) (i32.const 3))))
                (block $cDone2 (loop $cLoop2
                  (br_if $cDone2 (i32.ge_u (local.get $pI) (local.get $pEnd)))
                  (local.set $fp (i32.add (local.get $tapF) (i32.load (local.get $pI))))
                  (local.set $vv (v128.load64_splat (local.get $pV)))
                  (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $vv) (v128.load offset=0 (local.get $fp)))))
                  (local.set $pI (i32.add (local.get $pI) (i32.const 4)))
                  (local.set $pV (i32.add (local.get $pV) (i32.const 8)))
                  (br $cLoop2)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jLoop2)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $iLoop2)))
            (local.set $op (i32.add (local.get $to) (i32.shl (local.get $o) (i32.const 3))))
            (if (local.get $relu) (then
              (local.set $a0 (f64x2.max (local.get $a0) (v128.const f64x2 0 0)))
            ))
            (v128.store offset=0 (local.get $op) (local.get $a0))
            (local.set $o (i32.add (local.get $o) (i32.const 2)))
            (br $block2)))
          ;; outputs o … o + 0, one f64
          (block $done1 (loop $block1
            (br_if $done1 (i32.gt_s (i32.add (local.get $o) (i32.const 1)) (local.get $fanOut)))
            (local.set $bp (i32.add (local.get $b) (i32.shl (local.get $o) (i32.const 3))))
            (local.set $s (f64.load (local.get $bp)))
            (local.set $i (local.get $iLow))
            (block $iDone1 (loop $iLoop1
              (br_if $iDone1 (i32.ge_s (local.get $i) (local.get $iHigh)))
              (local.set $j (local.get $jLow))
              (block $jDone1 (loop $jLoop1
                (br_if $jDone1 (i32.ge_s (local.get $j) (local.get $jHigh)))
                ;; q: the input pixel under tap (i, j); its nonzero channels are pI … pEnd (offsets) and pV (values)
                (local.set $q (i32.add (local.get $rowAt) (i32.add
                  (i32.mul (i32.sub (i32.add (local.get $oy) (local.get $i)) (local.get $pad)) (local.get $w))
                  (i32.sub (i32.add (local.get $ox) (local.get $j)) (local.get $pad)))))
                (local.set $pI (i32.add (local.get $idx) (i32.shl (i32.mul (local.get $q) (local.get $fanIn)) (i32.const 2))))
                (local.set $pV (i32.add (local.get $val) (i32.shl (i32.mul (local.get $q) (local.get $fanIn)) (i32.const 3))))
                (local.set $pEnd (i32.add (local.get $pI) (i32.shl (i32.load (i32.add (local.get $cnt) (i32.shl (local.get $q) (i32.const 2)))) (i32.const 2))))
                ;; tapF = f + ((i·k + j)·fanIn·fanOut + o)·8
                (local.set $tapF (i32.add (local.get $f) (i32.shl (i32.add
                  (i32.mul (i32.mul (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $j)) (local.get $fanIn)) (local.get $fanOut))
                  (local.get $o)) (i32.const 3))))
                (block $cDone1 (loop $cLoop1
                  (br_if $cDone1 (i32.ge_u (local.get $pI) (local.get $pEnd)))
                  (local.set $fp (i32.add (local.get $tapF) (i32.load (local.get $pI))))
                  (local.set $s (f64.add (local.get $s) (f64.mul (f64.load (local.get $pV)) (f64.load (local.get $fp)))))
                  (local.set $pI (i32.add (local.get $pI) (i32.const 4)))
                  (local.set $pV (i32.add (local.get $pV) (i32.const 8)))
                  (br $cLoop1)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jLoop1)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $iLoop1)))
            (local.set $op (i32.add (local.get $to) (i32.shl (local.get $o) (i32.const 3))))
            (if (local.get $relu) (then
              (local.set $s (f64.max (local.get $s) (f64.const 0)))
            ))
            (f64.store (local.get $op) (local.get $s))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (br $block1)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $oxLoop)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyLoop)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rowLoop)))
  )
)
