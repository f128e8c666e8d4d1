{
  "targets": [
    {
      "target_name": "flows_blas",
      "sources": ["blas.c"],
      "cflags": ["-O3", "-march=native"],
      "libraries": ["-lopenblas"]
    }
  ]
}
