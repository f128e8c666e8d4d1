// One path's table of loops (isa.h), compiled with the path's flags beside its loops.
#include "convolution-direct.h"
#include "gemm.h"
#include "isa.h"

#define FLOWS_STRING_(x) #x
#define FLOWS_STRING(x) FLOWS_STRING_(x)

const IsaKernels FLOWS_ISA_FUNCTION(flows_isa_kernels) = {
    FLOWS_STRING(FLOWS_ISA_NAME),
    FLOWS_ISA_FUNCTION(flows_unary_loop),
    FLOWS_ISA_FUNCTION(flows_coupling_forward_rows),
    FLOWS_ISA_FUNCTION(flows_coupling_gradient_rows),
    FLOWS_ISA_FUNCTION(flows_adam_moment_range),
    FLOWS_ISA_FUNCTION(flows_adam_parameter_range),
    FLOWS_ISA_FUNCTION(flows_adam_update_range),
    FLOWS_ISA_FUNCTION(flows_adam_update_in_place_range),
    FLOWS_ISA_FUNCTION(flows_sum_of_squares),
    FLOWS_ISA_FUNCTION(flows_dense_coupling_forward_row),
    FLOWS_ISA_FUNCTION(flows_dense_coupling_gradient_row),
    FLOWS_ISA_FUNCTION(flows_relu_gradient),
    FLOWS_ISA_FUNCTION(flows_add_columns),
    FLOWS_ISA_FUNCTION(flows_gather),
    FLOWS_ISA_FUNCTION(flows_scatter),
    FLOWS_ISA_FUNCTION(flows_scatter_add2),
#if defined(__AVX512F__)
    gemm_avx512,
    conv_forward_avx512,
    conv_filter_gradient_avx512,
    conv_backward_avx512,
#else
    0,
    0,
    0,
    0,
#endif
};
