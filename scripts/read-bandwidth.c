// Read bandwidth of this machine: two threads sum 16Mi float32 (64 MiB) in halves with AVX-512, as the engine's
// sum does. It bounds what any library's sum of that size can reach here.
//   gcc -O3 -march=native -fopenmp scripts/read-bandwidth.c -o /tmp/read-bandwidth && /tmp/read-bandwidth 200
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  const long n = 16L << 20;
  const int reps = argc > 1 ? atoi(argv[1]) : 200;
  float *a = aligned_alloc(64, n * sizeof(float));
  double *times = malloc(reps * sizeof(double));
  for (long i = 0; i < n; i++) a[i] = 1.0f;
  float check = 0;
  for (int r = 0; r < reps; r++) {
    double start = now();
    float total = 0;
#pragma omp parallel reduction(+ : total) num_threads(2)
    {
      const long half = n / 2;
      const float *p = a + omp_get_thread_num() * half;
      __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
      for (long i = 0; i < half; i += 64) {
        s0 = _mm512_add_ps(s0, _mm512_load_ps(p + i));
        s1 = _mm512_add_ps(s1, _mm512_load_ps(p + i + 16));
        s2 = _mm512_add_ps(s2, _mm512_load_ps(p + i + 32));
        s3 = _mm512_add_ps(s3, _mm512_load_ps(p + i + 48));
      }
      total += _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
    }
    times[r] = now() - start;
    check += total;
  }
  qsort(times, reps, sizeof(double), by_value);
  printf("sum of 16Mi float32, 2 threads: median %.3f ms, quartiles %.3f-%.3f ms, %.1f GB/s (check %.0f)\n",
         times[reps / 2] * 1e3, times[reps / 4] * 1e3, times[3 * reps / 4] * 1e3,
         n * sizeof(float) / times[reps / 2] / 1e9, check / reps);
  return 0;
}
