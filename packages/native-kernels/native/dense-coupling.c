// The Real NVP masked affine coupling with its two ReLU MLPs, fused (@flows/kernels'
// denseCouplingInverse): the density direction of one layer in one call, and its gradient in one.
//
//   u = [y_K, context]                          (the masked input, gathered: y ⊙ m is zero off K)
//   o_s = MLP_s(u)_T,  o_t = MLP_t(u)_T          (hidden layers ReLU(h W + b), the last linear)
//   x_K = y_K,  x_T = (y_T − o_t) ⊙ e^{−s},  s = c_T ⊙ a(o_s),  log-det = −Σ s   (a = tanh or the identity)
//
// K are the kept coordinates (m̄ = 0), T the transformed ones (m̄ = 1). The networks' inputs are zero
// off K and their outputs are multiplied by zero off T, so the products skip those rows of the first
// weight matrix and those columns of the last: their terms are exactly zero (the weights' gradients
// there are zero, as autodiff of the unfused composition gives them). At the benchmark's checkerboard
// mask that is 43 % of a training step's multiply-adds.
//
// Forward: the first and last layers' weights are gathered (K's rows and T's columns; the threads
// share the rows), then the batch's rows are split between the threads, and each thread runs both
// networks and the coupling for its rows (no barrier between the layers). u, o_s, the hidden
// activations and the gathered weights are outputs that the gradient takes back. Gradient: each
// thread takes its rows back through the coupling and both networks (every input gradient is
// row-local; each thread sums its rows' bias and factor gradients), then the weight gradients are
// one product per layer over all rows (Aᵀ dz, each split between the threads), scattered into the
// stored shapes by the threads. Scratch memory (the rows' gradients, the compressed weight
// gradients, the threads' sums) is one buffer kept from call to call, grown when a larger shape
// comes: no allocation per call once the shapes have been seen.
#include "addon.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "isa.h"
#include "thread-pool.h"

#define MAX_LAYERS 16

typedef struct {
  int layers;
  int width[MAX_LAYERS + 1];       // stored widths: width[0] = D + C, width[layers] = D
  int in[MAX_LAYERS], out[MAX_LAYERS];  // the products' widths: in[0] = |K| + C, out[layers − 1] = |T|, else the stored ones
  const float *w[MAX_LAYERS], *b[MAX_LAYERS];
  const float *wc[MAX_LAYERS], *bc[MAX_LAYERS];  // what the products read: gathered copies for the first and last layers
  int ldw[MAX_LAYERS];
  float *gathered[MAX_LAYERS];     // the copies (first and last layers): outputs of the forward call, inputs of the gradient
  float *hidden[MAX_LAYERS];       // [batch, width[l + 1]] for l < layers − 1
  float *raw;                      // [batch, |T|]: the last layer's output at T
  // Gradient only.
  float *dz[MAX_LAYERS];           // [batch, out[l]]: the gradient of layer l's pre-activation
  float *dw[MAX_LAYERS], *db[MAX_LAYERS];  // outputs, stored shapes
  float *dwc[MAX_LAYERS];          // compressed weight gradients of the first and last layers, before the scatter
  float *du;                       // [batch, |K| + C]
  float *partial;                  // threads × Σ out[l]: each thread's column sums (the biases' gradients)
  int partialWidth;
} Net;

typedef struct {
  int64_t batch;
  int D, C, kept, transformed, kc, tanh, threads;
  int64_t rowsPerShare;
  const int *keptIndex, *transformedIndex, *rowMap;
  const float *y, *context, *scaleFactor;
  float *cT;
  float *x, *logDet, *u;
  const float *dx, *dl, *savedX;
  float *dy, *dc, *dcontext, *dcPartial, *rowScratch;
  Net net[2];
} DenseCoupling;

// Scratch memory kept between calls, one per calling thread (a Node worker thread that loads the
// addon gets its own; the pool's threads use the caller's).
static __thread float *arena = NULL;
static __thread size_t arena_floats = 0;
static __thread int *index_arena = NULL;
static __thread size_t index_ints = 0;

typedef struct {
  float *base;
  size_t used;
} Carver;

// n floats from the carver (64-byte aligned), or NULL while it only counts.
static float *take(Carver *c, int64_t n) {
  float *p = c->base ? c->base + c->used : NULL;
  c->used += (size_t)((n + 15) & ~(int64_t)15);
  return p;
}

static int reserve(size_t floats, size_t ints) {
  if (floats > arena_floats) {
    free(arena);
    arena = (float *)aligned_alloc(64, ((floats * sizeof(float) + 63) / 64) * 64);
    arena_floats = arena ? floats : 0;
  }
  if (ints > index_ints) {
    free(index_arena);
    index_arena = (int *)malloc(ints * sizeof(int));
    index_ints = index_arena ? ints : 0;
  }
  return arena != NULL && index_arena != NULL;
}

// The weights' gathers and the weight gradients' scatters, as jobs over rows that the threads share.
//   gather:  out[i][j] = source[rows ? rows[i] : i][cols ? cols[j] : j], out dense (nrows × ncols)
//   scatter: out[rows ? rows[i] : i][cols ? cols[j] : j] = source[i][j], source dense; zero elsewhere:
//            the rows `zeroRows` lists (no value goes there) and, with a column map, the rest of each row.
typedef struct {
  int scatter;
  const float *source;
  int sourceLd, nrows, ncols, outLd, zeroCount;
  const int *rows, *cols, *zeroRows;
  float *out;
} RowJob;

typedef struct {
  RowJob job[4];
  int count;
} RowJobs;

static void run_row_job(const RowJob *j, int first, int last) {
  const IsaKernels *isa = flows_isa();
  for (int i = first; i < last; i++) {
    if (j->scatter) {
      const float *row = j->source + (int64_t)i * j->ncols;
      float *target = j->out + (int64_t)(j->rows ? j->rows[i] : i) * j->outLd;
      if (j->cols) {
        if (j->ncols < j->outLd) memset(target, 0, (size_t)j->outLd * sizeof(float));
        isa->scatter(row, j->cols, j->ncols, target);
      } else {
        memcpy(target, row, (size_t)j->ncols * sizeof(float));
      }
    } else {
      const float *row = j->source + (int64_t)(j->rows ? j->rows[i] : i) * j->sourceLd;
      float *target = j->out + (int64_t)i * j->ncols;
      if (j->cols)
        isa->gather(row, j->cols, j->ncols, target);
      else
        memcpy(target, row, (size_t)j->ncols * sizeof(float));
    }
  }
}

static void row_jobs_share(void *context, int index, int count) {
  const RowJobs *jobs = (const RowJobs *)context;
  for (int n = 0; n < jobs->count; n++) {
    const RowJob *j = &jobs->job[n];
    run_row_job(j, (int)((int64_t)j->nrows * index / count), (int)((int64_t)j->nrows * (index + 1) / count));
    for (int i = (int)((int64_t)j->zeroCount * index / count); i < (int)((int64_t)j->zeroCount * (index + 1) / count); i++)
      memset(j->out + (int64_t)j->zeroRows[i] * j->outLd, 0, (size_t)j->outLd * sizeof(float));
  }
}

// Threads for jobs of `values` floats: one per 2^16 at most.
static int job_threads(int64_t values) {
  int threads = openblas_get_num_threads();
  int64_t most = values >> 16;
  if (threads > most) threads = most < 1 ? 1 : (int)most;
  return threads > POOL_MAX_THREADS ? POOL_MAX_THREADS : threads;
}

// The networks' compressed widths, and the carving of the scratch memory (counting when c->base is NULL).
static void layout(DenseCoupling *k, Carver *c, int gradient) {
  int64_t B = k->batch;
  k->cT = take(c, k->transformed);
  k->rowScratch = take(c, (int64_t)k->threads * 3 * (((int64_t)k->transformed + 15) & ~(int64_t)15));
  if (gradient) k->dcPartial = take(c, (int64_t)k->threads * k->transformed);
  for (int n = 0; n < 2; n++) {
    Net *net = &k->net[n];
    int L = net->layers;
    net->partialWidth = 0;
    for (int l = 0; l < L; l++) {
      net->partialWidth += net->out[l];
      net->dwc[l] = gradient && (l == 0 || l == L - 1) ? take(c, (int64_t)net->in[l] * net->out[l]) : NULL;
      net->dz[l] = gradient ? take(c, B * net->out[l]) : NULL;
    }
    net->bc[L - 1] = take(c, k->transformed);
    // The translation network's output is scratch; the scale network's is an output (forward) or an input (gradient).
    if (n == 1 && !gradient) net->raw = take(c, B * k->transformed);
    if (gradient) {
      net->du = take(c, B * k->kc);
      net->partial = take(c, (int64_t)k->threads * net->partialWidth);
    }
  }
}

// The index lists from the inverse mask (−2 where a value is neither 0 nor 1, or the zeros are not
// `kept` many), the scratch memory (−1 where it cannot be had), the gathered factor, bias and (forward)
// weights, and the products' operands of every layer. 0 when done.
static int prepare(DenseCoupling *k, const float *inverseMask, int gradient) {
  Carver counter = {NULL, 0};
  layout(k, &counter, gradient);
  if (!reserve(counter.used, (size_t)k->D * 3 + k->C + 1)) return -1;
  Carver carver = {arena, 0};
  layout(k, &carver, gradient);
  int *keptIndex = index_arena, *transformedIndex = index_arena + k->D, *rowMap = index_arena + 2 * k->D;
  int kept = 0, transformed = 0;
  for (int d = 0; d < k->D; d++) {
    if (inverseMask[d] == 0.0f)
      keptIndex[kept++] = d;
    else if (inverseMask[d] == 1.0f)
      transformedIndex[transformed++] = d;
    else
      return -2;
  }
  if (kept != k->kept || transformed != k->transformed) return -2;
  for (int i = 0; i < kept; i++) rowMap[i] = keptIndex[i];
  for (int i = 0; i < k->C; i++) rowMap[kept + i] = k->D + i;
  k->keptIndex = keptIndex;
  k->transformedIndex = transformedIndex;
  k->rowMap = rowMap;
  for (int j = 0; j < transformed; j++) k->cT[j] = k->scaleFactor[transformedIndex[j]];
  RowJobs gathers = {.count = 0};
  int64_t values = 0;
  for (int n = 0; n < 2; n++) {
    Net *net = &k->net[n];
    int L = net->layers;
    for (int l = 0; l < L; l++) {
      int first = l == 0, last = l == L - 1;
      if (first || last) {
        // The forward call gathers them (an output); the gradient call takes the forward call's copies.
        if (!gradient)
          gathers.job[gathers.count++] = (RowJob){0, net->w[l], net->width[l + 1], net->in[l], net->out[l], net->out[l], 0,
                                                  first ? rowMap : NULL, last ? transformedIndex : NULL, NULL, net->gathered[l]};
        values += (int64_t)net->in[l] * net->out[l];
        net->wc[l] = net->gathered[l];
      } else {
        net->wc[l] = net->w[l];
      }
      net->ldw[l] = net->out[l];
      if (!last) net->bc[l] = net->b[l];
    }
    if (net->b[L - 1])
      for (int j = 0; j < transformed; j++) ((float *)net->bc[L - 1])[j] = net->b[L - 1][transformedIndex[j]];
  }
  if (gathers.count) pool_run(job_threads(values), row_jobs_share, &gathers);
  return 0;
}

// Threads for the rows: the configured count, at most one per 8 rows.
static int choose_threads(DenseCoupling *k) {
  int threads = openblas_get_num_threads();
  if (threads > POOL_MAX_THREADS) threads = POOL_MAX_THREADS;
  if (threads > k->batch / 8) threads = (int)(k->batch / 8);
  if (threads < 1) threads = 1;
  return threads;
}

static void rows_of(const DenseCoupling *k, int index, int64_t *first, int64_t *last) {
  *first = index * k->rowsPerShare < k->batch ? index * k->rowsPerShare : k->batch;
  *last = *first + k->rowsPerShare < k->batch ? *first + k->rowsPerShare : k->batch;
}

static float *row_scratch(const DenseCoupling *k, int index) {
  return k->rowScratch + (int64_t)index * 3 * (((int64_t)k->transformed + 15) & ~(int64_t)15);
}

static void forward_share(void *context, int index, int count) {
  DenseCoupling *k = (DenseCoupling *)context;
  (void)count;
  int64_t r0, r1;
  rows_of(k, index, &r0, &r1);
  if (r0 >= r1) return;
  int R = (int)(r1 - r0), D = k->D, C = k->C, kc = k->kc, T = k->transformed;
  for (int64_t r = r0; r < r1; r++) {
    float *ur = k->u + r * kc;
    const float *yr = k->y + r * D;
    flows_isa()->gather(yr, k->keptIndex, k->kept, ur);
    if (C) memcpy(ur + k->kept, k->context + r * C, (size_t)C * sizeof(float));
  }
  for (int n = 0; n < 2; n++) {
    Net *net = &k->net[n];
    const float *a = k->u + r0 * kc;
    int lda = kc;
    for (int l = 0; l < net->layers; l++) {
      int last = l == net->layers - 1;
      float *out = last ? net->raw + r0 * T : net->hidden[l] + r0 * net->out[l];
      flows_product(0, 0, R, net->out[l], net->in[l], a, lda, net->wc[l], net->ldw[l], out, net->out[l], net->bc[l], !last, 1);
      a = out;
      lda = net->out[l];
    }
  }
  float *scratch = row_scratch(k, index);
  const IsaKernels *isa = flows_isa();
  for (int64_t r = r0; r < r1; r++) {
    const float *yr = k->y + r * D;
    float *xr = k->x + r * D;
    memcpy(xr, yr, (size_t)D * sizeof(float));
    float total = isa->dense_coupling_forward_row(k->net[0].raw + r * T, k->net[1].raw + r * T, yr, k->transformedIndex, k->cT, scratch, xr, T, k->tanh);
    k->logDet[r] = -total;
  }
}

static void gradient_share(void *context, int index, int count) {
  DenseCoupling *k = (DenseCoupling *)context;
  (void)count;
  int64_t r0, r1;
  rows_of(k, index, &r0, &r1);
  float *dc = k->dcPartial + (int64_t)index * k->transformed;
  memset(dc, 0, (size_t)k->transformed * sizeof(float));
  for (int n = 0; n < 2; n++) memset(k->net[n].partial + (int64_t)index * k->net[n].partialWidth, 0, (size_t)k->net[n].partialWidth * sizeof(float));
  if (r0 >= r1) return;
  int R = (int)(r1 - r0), D = k->D, C = k->C, kc = k->kc, T = k->transformed;
  const IsaKernels *isa = flows_isa();
  Net *s = &k->net[0], *t = &k->net[1];
  float *scratch = row_scratch(k, index);
  for (int64_t r = r0; r < r1; r++) {
    const float *gx = k->dx + r * D;
    float *dy = k->dy + r * D;
    memcpy(dy, gx, (size_t)D * sizeof(float));
    isa->dense_coupling_gradient_row(s->raw + r * T, k->savedX + r * D, gx, k->transformedIndex, k->cT, k->dl[r], scratch, T, k->tanh, dy,
                                     s->dz[s->layers - 1] + r * T, t->dz[t->layers - 1] + r * T, dc);
  }
  for (int n = 0; n < 2; n++) {
    Net *net = &k->net[n];
    float *partial = net->partial + (int64_t)index * net->partialWidth;
    int offset = net->partialWidth;
    for (int l = net->layers - 1; l >= 0; l--) {
      offset -= net->out[l];
      const float *dz = net->dz[l] + r0 * net->out[l];
      isa->add_columns(dz, R, net->out[l], partial + offset);
      if (l > 0) {
        float *below = net->dz[l - 1] + r0 * net->in[l];
        flows_product(0, 1, R, net->in[l], net->out[l], dz, net->out[l], net->wc[l], net->ldw[l], below, net->in[l], NULL, 0, 1);
        isa->relu_gradient(below, net->hidden[l - 1] + r0 * net->in[l], (int64_t)R * net->in[l]);
      } else {
        flows_product(0, 1, R, kc, net->out[0], dz, net->out[0], net->wc[0], net->ldw[0], net->du + r0 * kc, kc, NULL, 0, 1);
      }
    }
  }
  for (int64_t r = r0; r < r1; r++) {
    const float *us = s->du + r * kc, *ut = t->du + r * kc;
    float *dy = k->dy + r * D;
    isa->scatter_add2(us, ut, k->keptIndex, k->kept, dy);
    for (int i = 0; i < C; i++) k->dcontext[r * C + i] = us[k->kept + i] + ut[k->kept + i];
  }
}

// The weight and bias gradients over all rows, and ∂c, after the rows' pass.
static void weight_gradients(DenseCoupling *k, int threads) {
  int T = k->transformed;
  RowJobs scatters = {.count = 0};
  int64_t values = 0;
  for (int n = 0; n < 2; n++) {
    Net *net = &k->net[n];
    int L = net->layers, offset = 0;
    for (int l = 0; l < L; l++) {
      int first = l == 0, last = l == L - 1;
      const float *a = first ? k->u : net->hidden[l - 1];
      float *target = first || last ? net->dwc[l] : net->dw[l];
      if (k->batch > 0)
        flows_product(1, 0, net->in[l], net->out[l], (int)k->batch, a, net->in[l], net->dz[l], net->out[l], target, net->out[l], NULL, 0, threads);
      else
        memset(target, 0, (size_t)net->in[l] * net->out[l] * sizeof(float));
      if (first || last) {
        // The first layer's rows of the transformed coordinates get no value: zero.
        scatters.job[scatters.count++] = (RowJob){1, target, net->out[l], net->in[l], net->out[l], net->width[l + 1], first ? k->transformed : 0,
                                                  first ? k->rowMap : NULL, last ? k->transformedIndex : NULL, first ? k->transformedIndex : NULL, net->dw[l]};
        values += (int64_t)net->width[l] * net->width[l + 1];
      }
      float *db = net->db[l];
      memset(db, 0, (size_t)net->width[l + 1] * sizeof(float));
      for (int j = 0; j < net->out[l]; j++) {
        float total = 0.0f;
        for (int i = 0; i < k->threads; i++) total += net->partial[(int64_t)i * net->partialWidth + offset + j];
        db[last ? k->transformedIndex[j] : j] = total;
      }
      offset += net->out[l];
    }
  }
  pool_run(job_threads(values), row_jobs_share, &scatters);
  memset(k->dc, 0, (size_t)k->D * sizeof(float));
  for (int j = 0; j < T; j++) {
    float total = 0.0f;
    for (int i = 0; i < k->threads; i++) total += k->dcPartial[(int64_t)i * T + j];
    k->dc[k->transformedIndex[j]] = -total;
  }
}

// Reads the plan (a Float64Array; see src/kernels/dense-coupling-plan.ts) into k and checks every
// operand against the heap: the layer counts and widths first, then the offsets. 0, or −1 with a
// JavaScript exception pending.
static int read_plan(napi_env env, const char *name, napi_value planValue, float *heap, size_t length, DenseCoupling *k, int gradient) {
  napi_typedarray_type type;
  size_t count;
  void *data;
  napi_value buffer;
  size_t byteOffset;
  char message[160];
  if (napi_get_typedarray_info(env, planValue, &type, &count, &data, &buffer, &byteOffset) != napi_ok || type != napi_float64_array) {
    snprintf(message, sizeof message, "%s: the plan must be a Float64Array", name);
    napi_throw_type_error(env, NULL, message);
    return -1;
  }
  const double *plan = (const double *)data;
  size_t at = 0;
#define NEXT() (at < count ? plan[at++] : -1.0)
  memset(k, 0, sizeof *k);
  k->batch = (int64_t)NEXT();
  k->D = (int)NEXT();
  k->C = (int)NEXT();
  k->kept = (int)NEXT();
  k->tanh = NEXT() != 0.0;
  k->net[0].layers = (int)NEXT();
  k->net[1].layers = (int)NEXT();
  int valid = k->batch >= 0 && k->D >= 1 && k->C >= 0 && k->kept >= 0 && k->kept <= k->D;
  for (int n = 0; n < 2 && valid; n++) {
    Net *net = &k->net[n];
    valid = net->layers >= 1 && net->layers <= MAX_LAYERS;
    for (int l = 0; l <= net->layers && valid; l++) {
      net->width[l] = (int)NEXT();
      valid = net->width[l] >= 1;
    }
    valid = valid && net->width[0] == k->D + k->C && net->width[net->layers] == k->D;
  }
  if (!valid) {
    snprintf(message, sizeof message, "%s: a bad plan (batch, sizes, layers or widths)", name);
    napi_throw_range_error(env, NULL, message);
    return -1;
  }
  k->transformed = k->D - k->kept;
  k->kc = k->kept + k->C;
  for (int n = 0; n < 2; n++) {
    Net *net = &k->net[n];
    for (int l = 0; l < net->layers; l++) {
      net->in[l] = l == 0 ? k->kc : net->width[l];
      net->out[l] = l == net->layers - 1 ? k->transformed : net->width[l + 1];
    }
  }
  int64_t B = k->batch, D = k->D, C = k->C;
  // Offsets, with their extents in floats, in the order the plan gives them.
  int64_t offsets[12 + 5 * 2 * MAX_LAYERS], extents[12 + 5 * 2 * MAX_LAYERS];
  int operands = 0;
#define OPERAND(extent) (offsets[operands] = (int64_t)NEXT(), extents[operands] = (extent), operands++)
  if (gradient) {
    OPERAND(B * D);                   // 0 dx
    OPERAND(B);                       // 1 dl
  }
  OPERAND(B * D);                     // y
  OPERAND(D);                         // inverse mask
  OPERAND(D);                         // scale factor
  OPERAND(B * C);                     // context
  OPERAND(B * D);                     // x (output forward, saved input gradient)
  if (!gradient) OPERAND(B);          // log-det
  OPERAND(B * k->kc);                 // u
  OPERAND(B * k->transformed);        // o_s
  if (gradient) {
    OPERAND(B * D);                   // dy
    OPERAND(D);                       // dc
    OPERAND(B * C);                   // dcontext
  }
  for (int n = 0; n < 2; n++) {
    Net *net = &k->net[n];
    for (int l = 0; l < net->layers; l++) {
      int64_t in = net->width[l], out = net->width[l + 1];
      OPERAND(in * out);              // W
      if (!gradient) OPERAND(out);    // b
      OPERAND(l < net->layers - 1 ? B * out : 0);  // hidden (none after the last layer)
      OPERAND(l == 0 || l == net->layers - 1 ? (int64_t)net->in[l] * net->out[l] : 0);  // the gathered copy (first and last layers)
      if (gradient) {
        OPERAND(in * out);            // dW
        OPERAND(out);                 // db
      }
    }
  }
#undef OPERAND
  if (at != count) {
    snprintf(message, sizeof message, "%s: the plan has %zu numbers, its layers ask for %zu", name, count, at);
    napi_throw_range_error(env, NULL, message);
    return -1;
  }
#undef NEXT
  for (int i = 0; i < operands; i++)
    if (extents[i] == 0) offsets[i] = 0;  // an empty operand (no context, no hidden layer) may have any offset
  if (!flows_operands_fit(env, name, length, operands, offsets, extents)) return -1;
  int i = 0;
  if (gradient) {
    k->dx = heap + offsets[i++];
    k->dl = heap + offsets[i++];
  }
  k->y = heap + offsets[i++];
  const float *inverseMask = heap + offsets[i++];
  k->scaleFactor = heap + offsets[i++];
  k->context = heap + offsets[i++];
  if (gradient)
    k->savedX = heap + offsets[i++];
  else
    k->x = heap + offsets[i++];
  if (!gradient) k->logDet = heap + offsets[i++];
  k->u = heap + offsets[i++];
  k->net[0].raw = heap + offsets[i++];
  if (gradient) {
    k->dy = heap + offsets[i++];
    k->dc = heap + offsets[i++];
    k->dcontext = heap + offsets[i++];
  }
  for (int n = 0; n < 2; n++) {
    Net *net = &k->net[n];
    for (int l = 0; l < net->layers; l++) {
      net->w[l] = heap + offsets[i++];
      if (!gradient) net->b[l] = heap + offsets[i++];
      net->hidden[l] = heap + offsets[i++];
      net->gathered[l] = heap + offsets[i++];
      if (gradient) {
        net->dw[l] = heap + offsets[i++];
        net->db[l] = heap + offsets[i++];
      }
    }
  }
  k->threads = choose_threads(k);
  k->rowsPerShare = (k->batch + k->threads - 1) / k->threads;
  int prepared = prepare(k, inverseMask, gradient);
  if (prepared == -1) {
    snprintf(message, sizeof message, "%s: out of memory", name);
    napi_throw_error(env, NULL, message);
    return -1;
  }
  if (prepared == -2) {
    snprintf(message, sizeof message, "%s: the inverse mask must hold only 0 and 1, with %d zeros", name, k->kept);
    napi_throw_range_error(env, NULL, message);
    return -1;
  }
  return 0;
}

static napi_value run(napi_env env, napi_callback_info info, const char *name, int gradient) {
  napi_value argv[2];
  size_t length;
  float *heap = flows_heap_arguments(env, info, name, 2, argv, &length);
  if (!heap) return NULL;
  DenseCoupling k;
  if (read_plan(env, name, argv[1], heap, length, &k, gradient) != 0) return NULL;
  // Inside the threads' shares every product runs on its calling thread: OpenBLAS too.
  int configured = flows_single_threaded_begin();
  pool_run(k.threads, gradient ? gradient_share : forward_share, &k);
  flows_single_threaded_end(configured);
  if (gradient) weight_gradients(&k, configured);
  return NULL;
}

// denseCouplingInverse(heap, plan)
napi_value flows_dense_coupling_inverse(napi_env env, napi_callback_info info) { return run(env, info, "flows_blas.denseCouplingInverse", 0); }

// denseCouplingInverseGradient(heap, plan)
napi_value flows_dense_coupling_inverse_gradient(napi_env env, napi_callback_info info) {
  return run(env, info, "flows_blas.denseCouplingInverseGradient", 1);
}
