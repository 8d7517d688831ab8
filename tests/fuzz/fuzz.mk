# tests/fuzz/fuzz.mk - libFuzzer targets for the parsers and loaders of
# files that other people write (included by Makefile.am; see
# tests/fuzz/FUZZING.md).
#
#   make fuzz                    build both fuzzers, run each FUZZ_SECONDS
#   make fuzz FUZZ_SECONDS=1800  the campaign length of FUZZING.md
#   make fuzz-build              build them only
#   make fuzz-clean              remove objects, work corpora and artifacts
#
# The fuzzers are built apart from the library: every C file of libbrainsim
# is compiled again with clang (through the MPI wrapper: OMPI_CC / MPICH_CC)
# and -fsanitize=fuzzer-no-link,address,undefined, without OpenMP and
# without CUDA, into tests/fuzz/obj/.  Without a clang that links libFuzzer
# (Debian: apt-get install clang libclang-rt-14-dev) `make fuzz` says why
# and succeeds.  New corpus entries go to tests/fuzz/work/<target>/ (build
# tree), findings to tests/fuzz/artifacts/<target>/; the seed corpora and
# the regressions in the source tree are only read.  A finding stops that
# target and makes `make fuzz` fail; copy it into
# tests/fuzz/regressions/<target>/ once fixed (make check replays them).

FUZZ_SECONDS = 60
FUZZ_MPICC = mpicc
FUZZ_CC = OMPI_CC='$(FUZZ_CLANG)' MPICH_CC='$(FUZZ_CLANG)' $(FUZZ_MPICC)
FUZZ_SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CC_FLAGS = -g -O1 -fno-omit-frame-pointer -std=gnu11 $(FUZZ_SANITIZE)
FUZZ_CPP_FLAGS = -I$(top_srcdir)/include -I$(top_srcdir)/src \
	-I$(top_builddir)/src $(YAML_CFLAGS) $(HDF5_CFLAGS)
FUZZ_LINK_LIBS = $(HDF5_LIBS) $(YAML_LIBS) -lm
# libFuzzer options of every run (-max_total_time is FUZZ_SECONDS)
FUZZ_FLAGS = -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
FUZZ_FLAGS_experiment = -max_len=8192 \
	-dict=$(abs_top_srcdir)/tests/fuzz/experiment.dict
# (HDF5 1.10 mallocs 4 GB, untouched, for one corrupt layout: see
# regressions/checkpoint/hdf5_geometry_4gb_read_buffer.h5)
FUZZ_FLAGS_checkpoint = -max_len=65536 -malloc_limit_mb=8192
# Fuzzing runs without leak checks and with fast unwinding (4x faster):
# Open MPI's lazily loaded components look like leaks of whichever input
# loads them, and fast unwinding cannot walk MPI's and HDF5's frames for
# the suppressions.  Leaks are checked afterwards instead: every input of
# the grown corpus is replayed once with full stacks and
# tests/fuzz/lsan.supp (FUZZING.md, "Sanitizer build").
FUZZ_ASAN_OPTIONS = detect_leaks=0:allocator_may_return_null=1
FUZZ_LEAK_ASAN_OPTIONS = detect_leaks=1:fast_unwind_on_malloc=0:allocator_may_return_null=1
FUZZ_LSAN_OPTIONS = use_tls=0:suppressions=$(abs_top_srcdir)/tests/fuzz/lsan.supp:print_suppressions=0

FUZZ_TARGETS = experiment checkpoint
# (without CUDA: the stub backend, whether or not the library has it)
FUZZ_LIB_SRCS = $(sort $(filter %.c,$(libbrainsim_la_SOURCES)) \
	src/backend_cuda_stub.c)
FUZZ_LIB_OBJECTS = $(patsubst src/%.c,tests/fuzz/obj/%.o,$(FUZZ_LIB_SRCS)) \
	tests/fuzz/obj/default_experiment.o
FUZZ_HDRS = $(filter %.h,$(libbrainsim_la_SOURCES)) include/brainsim.h

tests/fuzz/obj/%.o: $(top_srcdir)/src/%.c $(FUZZ_HDRS:%=$(top_srcdir)/%)
	@mkdir -p tests/fuzz/obj
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CPP_FLAGS) $(FUZZ_CC_FLAGS) \
	  -fsanitize=fuzzer-no-link -c -o $@ $<

.PRECIOUS: tests/fuzz/obj/%.o

tests/fuzz/obj/default_experiment.o: src/default_experiment.c
	@mkdir -p tests/fuzz/obj
	$(AM_V_CC)$(FUZZ_CC) $(FUZZ_CC_FLAGS) -c -o $@ src/default_experiment.c

tests/fuzz/fuzz_%: $(top_srcdir)/tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJECTS)
	$(AM_V_CCLD)$(FUZZ_CC) $(FUZZ_CPP_FLAGS) $(FUZZ_CC_FLAGS) \
	  -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJECTS) $(FUZZ_LINK_LIBS)

# Whether $(FUZZ_CLANG) links a libFuzzer program; prints why not.
fuzz-probe:
	@mkdir -p tests/fuzz; \
	if test -z '$(FUZZ_CLANG)'; then \
	  echo "fuzz: no clang was found by configure (Debian: apt-get install clang libclang-rt-14-dev; or ./configure FUZZ_CLANG=clang-NN)"; \
	  exit 1; fi; \
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	  'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
	  '{ (void)d; (void)n; return 0; }' >tests/fuzz/probe.c; \
	if ! $(FUZZ_CC) $(FUZZ_SANITIZE) -fsanitize=fuzzer tests/fuzz/probe.c \
	     -o tests/fuzz/probe >tests/fuzz/probe.log 2>&1; then \
	  echo "fuzz: $(FUZZ_CLANG) through $(FUZZ_MPICC) cannot link a libFuzzer program (Debian: apt-get install libclang-rt-14-dev):"; \
	  sed 's/^/    /' tests/fuzz/probe.log | head -n 5; exit 1; fi; \
	rm -f tests/fuzz/probe tests/fuzz/probe.c tests/fuzz/probe.log

fuzz-build: src/default_experiment.c
	@if $(MAKE) $(AM_MAKEFLAGS) -s fuzz-probe; then \
	  $(MAKE) $(AM_MAKEFLAGS) $(FUZZ_TARGETS:%=tests/fuzz/fuzz_%); \
	else echo "fuzz: skipped"; fi

fuzz: src/default_experiment.c
	@if ! $(MAKE) $(AM_MAKEFLAGS) -s fuzz-probe; then \
	  echo "fuzz: skipped"; exit 0; fi; \
	$(MAKE) $(AM_MAKEFLAGS) $(FUZZ_TARGETS:%=tests/fuzz/fuzz_%) || exit 1; \
	status=0; \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p tests/fuzz/work/$$t tests/fuzz/artifacts/$$t; \
	  seeds=$(abs_top_srcdir)/tests/fuzz/corpus_$$t; \
	  regs=$(abs_top_srcdir)/tests/fuzz/regressions/$$t; \
	  test -d $$regs || regs=; \
	  case $$t in experiment) extra='$(FUZZ_FLAGS_experiment)';; \
	    *) extra='$(FUZZ_FLAGS_checkpoint)';; esac; \
	  log=tests/fuzz/artifacts/$$t/fuzz.log; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s (log: $$log)"; \
	  ASAN_OPTIONS='$(FUZZ_ASAN_OPTIONS)' LSAN_OPTIONS='$(FUZZ_LSAN_OPTIONS)' \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ./tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) \
	    $$extra -artifact_prefix=tests/fuzz/artifacts/$$t/ \
	    tests/fuzz/work/$$t $$seeds $$regs >$$log 2>&1; \
	  rc=$$?; \
	  execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
	  cov=$$(grep -o 'cov: [0-9]*' $$log | tail -n 1); \
	  if test $$rc -eq 0; then \
	    echo "fuzz: $$t: $${execs:-?} executions, $$cov; checking the corpus for leaks"; \
	    log=tests/fuzz/artifacts/$$t/leaks.log; \
	    ASAN_OPTIONS='$(FUZZ_LEAK_ASAN_OPTIONS)' LSAN_OPTIONS='$(FUZZ_LSAN_OPTIONS)' \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ./tests/fuzz/fuzz_$$t -runs=0 $(FUZZ_FLAGS) -timeout=120 $$extra \
	      -artifact_prefix=tests/fuzz/artifacts/$$t/ \
	      tests/fuzz/work/$$t $$seeds $$regs >$$log 2>&1; \
	    rc=$$?; \
	  fi; \
	  if test $$rc -eq 0; then \
	    echo "fuzz: $$t: no findings"; \
	  else \
	    status=1; \
	    echo "fuzz: $$t: FINDING (exit $$rc, log $$log):"; \
	    grep -E 'ERROR|SUMMARY|Test unit written' $$log | sed 's/^/    /'; \
	  fi; \
	done; exit $$status

fuzz-clean:
	-rm -rf tests/fuzz/obj tests/fuzz/work tests/fuzz/artifacts \
	  $(FUZZ_TARGETS:%=tests/fuzz/fuzz_%) tests/fuzz/probe*

.PHONY: fuzz fuzz-build fuzz-probe fuzz-clean

EXTRA_DIST += tests/fuzz/FUZZING.md tests/fuzz/lsan.supp \
	tests/fuzz/experiment.dict tests/fuzz/fuzz_experiment.c \
	tests/fuzz/make_corpus_checkpoint.sh \
	tests/fuzz/fuzz_checkpoint.c tests/fuzz/corpus_experiment \
	tests/fuzz/corpus_checkpoint tests/fuzz/regressions tests/fuzz/hdf5_known

# ---- the --enable-sanitizers build's test environment ----
# (FUZZING.md, "Sanitizer build"): leaks are checked, with full stacks
# (fast unwinding cannot walk MPI's and HDF5's frames) and the suppressions
# of MPI's and HDF5's own allocations; use_tls=0 because LeakSanitizer
# crashes scanning the thread-local storage of Open MPI's dlopen'ed
# components; a sanitizer report exits 86, so that no test can mistake it
# for brainsim's own exit 1.  Values already in the environment win.
# BRAINSIM_SANITIZERS=1 tells the tests that cannot run as they are under
# AddressSanitizer (its shadow memory needs terabytes of address space, so
# no `ulimit -v`) to use the sanitizer's own limits instead.
if SANITIZERS
AM_TESTS_ENVIRONMENT += \
	BRAINSIM_SANITIZERS=1; export BRAINSIM_SANITIZERS; \
	ASAN_OPTIONS="$${ASAN_OPTIONS-detect_leaks=1:fast_unwind_on_malloc=0:allocator_may_return_null=1:exitcode=86}"; export ASAN_OPTIONS; \
	LSAN_OPTIONS="$${LSAN_OPTIONS-use_tls=0:suppressions=$(abs_top_srcdir)/tests/fuzz/lsan.supp:print_suppressions=0}"; export LSAN_OPTIONS; \
	UBSAN_OPTIONS="$${UBSAN_OPTIONS-print_stacktrace=1:halt_on_error=1:exitcode=86}"; export UBSAN_OPTIONS;
endif
