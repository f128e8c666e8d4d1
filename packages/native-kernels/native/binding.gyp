{
  "variables": {
    "isa_sources": ["elementwise-loops.c", "coupling-loops.c", "dense-coupling-loops.c", "adam-loops.c", "isa-kernels.c"]
  },
  "target_defaults": {
    "cflags": ["-O3", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd", "-fvisibility=hidden"],
    "conditions": [["target_arch == 'x64'", { "defines": ["FLOWS_X86_PATHS"] }]]
  },
  "targets": [
    {
      "target_name": "flows_blas",
      "sources": ["addon.c", "isa.c", "products.c", "elementwise.c", "convolution.c", "act-norm.c", "slice.c", "coupling.c", "dense-coupling.c", "adam.c", "thread-pool.c"],
      "dependencies": ["flows_isa_baseline"],
      "conditions": [["target_arch == 'x64'", { "dependencies": ["flows_isa_avx2", "flows_isa_avx512"] }]],
      "libraries": ["-lopenblas", "-lpthread"]
    },
    {
      "target_name": "flows_isa_baseline",
      "type": "static_library",
      "sources": ["<@(isa_sources)"],
      "conditions": [
        ["target_arch == 'arm64'", { "defines": ["FLOWS_ISA_SUFFIX=_baseline", "FLOWS_ISA_NAME=neon"] }, { "defines": ["FLOWS_ISA_SUFFIX=_baseline", "FLOWS_ISA_NAME=baseline"] }]
      ]
    }
  ],
  "conditions": [
    [
      "target_arch == 'x64'",
      {
        "targets": [
          {
            "target_name": "flows_isa_avx2",
            "type": "static_library",
            "sources": ["<@(isa_sources)"],
            "defines": ["FLOWS_ISA_SUFFIX=_avx2", "FLOWS_ISA_NAME=avx2"],
            "cflags": ["-mavx2", "-mfma"]
          },
          {
            "target_name": "flows_isa_avx512",
            "type": "static_library",
            "sources": ["<@(isa_sources)", "gemm-avx512.c", "convolution-avx512.c"],
            "defines": ["FLOWS_ISA_SUFFIX=_avx512", "FLOWS_ISA_NAME=avx512"],
            "cflags": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mfma", "-mprefer-vector-width=512"]
          }
        ]
      }
    ]
  ]
}
