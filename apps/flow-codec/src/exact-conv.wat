;; The exact path's convolution (exact-network.ts) in WebAssembly with 128-bit SIMD: the same sums
;; as the JavaScript, in the same order, so the same bits. Each output starts at its bias and adds
;; value · F for its inputs, taps (i, j) first, then channels c, all ascending, a zero input skipped.
;; Eight outputs at a time in four f64x2 accumulators: two lanes are two outputs, each its own sum
;; (f64x2.mul and f64x2.add round each lane as f64.mul and f64.add do; no fused multiply-add).
;;
;; conv(in, rows, height, width, filter, bias, fanIn, fanOut, k, out, blocked): byte addresses of
;; f64 arrays in this module's memory (input [rows, height, width, fanIn], filter [k, k, fanIn, fanOut],
;; bias [fanOut], out [rows, height, width, fanOut]); outputs 0 … blocked − 1 (blocked a multiple of 8)
;; are written, the others left to the caller.
(module
  (memory (export "memory") 1)
  (func (export "conv")
    (param $in i32) (param $rows i32) (param $h i32) (param $w i32) (param $f i32) (param $b i32)
    (param $fanIn i32) (param $fanOut i32) (param $k i32) (param $out i32) (param $blocked i32)
    (local $row i32) (local $oy i32) (local $ox i32) (local $o i32) (local $i i32) (local $j i32) (local $c i32)
    (local $pad i32) (local $inAt i32) (local $to i32)
    (local $iLow i32) (local $iHigh i32) (local $jLow i32) (local $jHigh i32)
    (local $from i32) (local $tap i32) (local $fp i32) (local $v f64) (local $vv v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $pad (i32.shr_s (i32.sub (local.get $k) (i32.const 1)) (i32.const 1)))
    (local.set $row (i32.const 0))
    (block $rowsDone (loop $rowLoop
      (br_if $rowsDone (i32.ge_s (local.get $row) (local.get $rows)))
      (local.set $inAt (i32.add (local.get $in)
        (i32.shl (i32.mul (i32.mul (local.get $row) (i32.mul (local.get $h) (local.get $w))) (local.get $fanIn)) (i32.const 3))))
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
            (i32.shl (i32.mul (i32.add (i32.mul (local.get $row) (i32.mul (local.get $h) (local.get $w)))
                                       (i32.add (i32.mul (local.get $oy) (local.get $w)) (local.get $ox)))
                              (local.get $fanOut)) (i32.const 3))))
          (local.set $o (i32.const 0))
          (block $oDone (loop $oLoop
            (br_if $oDone (i32.ge_s (local.get $o) (local.get $blocked)))
            (local.set $a0 (v128.load (i32.add (local.get $b) (i32.shl (local.get $o) (i32.const 3)))))
            (local.set $a1 (v128.load offset=16 (i32.add (local.get $b) (i32.shl (local.get $o) (i32.const 3)))))
            (local.set $a2 (v128.load offset=32 (i32.add (local.get $b) (i32.shl (local.get $o) (i32.const 3)))))
            (local.set $a3 (v128.load offset=48 (i32.add (local.get $b) (i32.shl (local.get $o) (i32.const 3)))))
            (local.set $i (local.get $iLow))
            (block $iDone (loop $iLoop
              (br_if $iDone (i32.ge_s (local.get $i) (local.get $iHigh)))
              (local.set $j (local.get $jLow))
              (block $jDone (loop $jLoop
                (br_if $jDone (i32.ge_s (local.get $j) (local.get $jHigh)))
                ;; from = inAt + (((oy + i - pad) * w + (ox + j - pad)) * fanIn) * 8
                (local.set $from (i32.add (local.get $inAt)
                  (i32.shl (i32.mul (i32.add
                      (i32.mul (i32.sub (i32.add (local.get $oy) (local.get $i)) (local.get $pad)) (local.get $w))
                      (i32.sub (i32.add (local.get $ox) (local.get $j)) (local.get $pad)))
                    (local.get $fanIn)) (i32.const 3))))
                (local.set $tap (i32.mul (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $j)) (local.get $fanIn)))
                (local.set $c (i32.const 0))
                (block $cDone (loop $cLoop
                  (br_if $cDone (i32.ge_s (local.get $c) (local.get $fanIn)))
                  (local.set $v (f64.load (i32.add (local.get $from) (i32.shl (local.get $c) (i32.const 3)))))
                  (if (f64.ne (local.get $v) (f64.const 0)) (then
                    (local.set $vv (f64x2.splat (local.get $v)))
                    ;; fp = f + ((tap + c) * fanOut + o) * 8
                    (local.set $fp (i32.add (local.get $f)
                      (i32.shl (i32.add (i32.mul (i32.add (local.get $tap) (local.get $c)) (local.get $fanOut)) (local.get $o)) (i32.const 3))))
                    (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $vv) (v128.load (local.get $fp)))))
                    (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $vv) (v128.load offset=16 (local.get $fp)))))
                    (local.set $a2 (f64x2.add (local.get $a2) (f64x2.mul (local.get $vv) (v128.load offset=32 (local.get $fp)))))
                    (local.set $a3 (f64x2.add (local.get $a3) (f64x2.mul (local.get $vv) (v128.load offset=48 (local.get $fp)))))))
                  (local.set $c (i32.add (local.get $c) (i32.const 1)))
                  (br $cLoop)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jLoop)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $iLoop)))
            (v128.store (i32.add (local.get $to) (i32.shl (local.get $o) (i32.const 3))) (local.get $a0))
            (v128.store offset=16 (i32.add (local.get $to) (i32.shl (local.get $o) (i32.const 3))) (local.get $a1))
            (v128.store offset=32 (i32.add (local.get $to) (i32.shl (local.get $o) (i32.const 3))) (local.get $a2))
            (v128.store offset=48 (i32.add (local.get $to) (i32.shl (local.get $o) (i32.const 3))) (local.get $a3))
            (local.set $o (i32.add (local.get $o) (i32.const 8)))
            (br $oLoop)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $oxLoop)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyLoop)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rowLoop)))
  )
)
