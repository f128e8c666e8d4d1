// The elementwise functions' loops, compiled once per path (isa.h): the polynomials of
// elementwise-math.h vectorize with the path's widest vectors.
#include "elementwise-math.h"
#include "isa.h"

void FLOWS_ISA_FUNCTION(flows_unary_loop)(int op, const float *x, float *y, int64_t size) {
  switch (op) {
    case OP_EXP: for (int64_t i = 0; i < size; i++) y[i] = exp_f(x[i]); break;
    case OP_LOG1P: for (int64_t i = 0; i < size; i++) y[i] = log1p_f(x[i]); break;
    case OP_SOFTPLUS: for (int64_t i = 0; i < size; i++) y[i] = softplus_f(x[i]); break;
    case OP_TANH: for (int64_t i = 0; i < size; i++) y[i] = tanh_f(x[i]); break;
    default: break;
  }
}
