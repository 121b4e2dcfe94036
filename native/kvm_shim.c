/*
 * kvm_shim: the kvm accelerator's only native code. It exposes system calls and nothing
 * else; every ioctl number, struct layout and policy lives in TypeScript
 * (src/accel/kvm/abi.ts). Keeping this file free of KVM knowledge means a reviewer only
 * has to check memory safety here, not virtualization logic.
 *
 * Conventions:
 *  - Failures return -errno as a JS number instead of throwing: KVM_RUN returns EINTR on
 *    every kick and eventfd reads return EAGAIN when idle, so errors are ordinary results
 *    on hot paths and exceptions would cost more than the call. Wrong JS argument types
 *    (a programming error in the TypeScript layer) throw a TypeError.
 *  - Functions whose memory safety depends on the caller are named ...Unchecked; each
 *    says what the caller must guarantee.
 *  - The module is context-aware (NAPI_MODULE_INIT) so each worker thread can load it;
 *    the only process-wide state is the mapping table and the kick signal handler, both
 *    guarded for concurrent use.
 *  - Every ArrayBuffer made here is at most SHIM_MAX_CHUNK bytes: larger mappings come in
 *    pieces, because Node cannot wrap more in one.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Linux ioctl request encoding (asm-generic/ioctl.h): dir in bits 31..30, size in 29..16. */
#define SHIM_IOC_DIR(req) (((req) >> 30) & 3u)
#define SHIM_IOC_SIZE(req) (((req) >> 16) & 0x3fffu)
#define SHIM_IOC_NONE 0u

/* The kick signal: a real-time signal Node, libuv and V8 leave alone (V8 uses SIGPROF,
 * Node SIGUSR1 for the inspector). Its handler does nothing: the point is only that a
 * thread blocked in KVM_RUN returns EINTR. */
#define KICK_SIGNAL_OFFSET 6

#define CHECK_NAPI(call)                                                                  \
  do {                                                                                    \
    if ((call) != napi_ok) {                                                              \
      napi_throw_error(env, "ERR_KVM_SHIM", "kvm_shim: Node-API call failed: " #call);  \
      return NULL;                                                                        \
    }                                                                                     \
  } while (0)

static napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  if (napi_create_int64(env, v, &out) != napi_ok) return NULL;
  return out;
}

static napi_value neg_errno(napi_env env) { return make_int(env, -(int64_t)errno); }

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < want) {
    napi_throw_type_error(env, "ERR_KVM_SHIM_ARGS", "kvm_shim: too few arguments");
    return 0;
  }
  return 1;
}

static int get_i64(napi_env env, napi_value v, int64_t *out) {
  if (napi_get_value_int64(env, v, out) != napi_ok) {
    napi_throw_type_error(env, "ERR_KVM_SHIM_ARGS", "kvm_shim: expected a number");
    return 0;
  }
  return 1;
}

static int get_u32(napi_env env, napi_value v, uint32_t *out) {
  if (napi_get_value_uint32(env, v, out) != napi_ok) {
    napi_throw_type_error(env, "ERR_KVM_SHIM_ARGS", "kvm_shim: expected an unsigned 32-bit number");
    return 0;
  }
  return 1;
}

/* The bytes of an ArrayBuffer, a typed array or a DataView (honouring its offset). The
 * pointer stays valid while the JS value is alive and not detached; every user below uses
 * it only for the duration of one synchronous system call, during which JS cannot run. */
static int get_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is;
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    return napi_get_arraybuffer_info(env, v, data, len) == napi_ok;
  }
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    void *p;
    if (napi_get_typedarray_info(env, v, &type, &length, &p, &ab, &offset) != napi_ok) return 0;
    size_t elem = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1;
    }
    *data = p; /* already includes the view's byte offset */
    *len = length * elem;
    return 1;
  }
  if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    napi_value ab;
    size_t offset;
    return napi_get_dataview_info(env, v, len, data, &ab, &offset) == napi_ok;
  }
  napi_throw_type_error(env, "ERR_KVM_SHIM_ARGS", "kvm_shim: expected an ArrayBuffer, typed array or DataView");
  return 0;
}

/* open(path, flags) -> fd | -errno. Safe: the path is copied into a bounded local buffer
 * (longer paths are refused) and O_CLOEXEC is forced so children never inherit KVM fds. */
static napi_value shim_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  char path[PATH_MAX];
  size_t n;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &n) != napi_ok) {
    napi_throw_type_error(env, "ERR_KVM_SHIM_ARGS", "kvm_shim: path must be a string");
    return NULL;
  }
  if (n >= sizeof path - 1) return make_int(env, -ENAMETOOLONG);
  uint32_t flags;
  if (!get_u32(env, argv[1], &flags)) return NULL;
  int fd = open(path, (int)flags | O_CLOEXEC);
  return fd < 0 ? neg_errno(env) : make_int(env, fd);
}

/* close(fd) -> 0 | -errno. Safe for memory; which fd to close is the caller's business. */
static napi_value shim_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t fd;
  if (!get_args(env, info, 1, argv) || !get_i64(env, argv[0], &fd)) return NULL;
  return close((int)fd) < 0 ? neg_errno(env) : make_int(env, 0);
}

/* dup(fd) -> new fd | -errno, close-on-exec. Lets another thread hold its own reference to
 * a VM so the owner closing its descriptor cannot redirect this thread's ioctls. */
static napi_value shim_dup(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t fd;
  if (!get_args(env, info, 1, argv) || !get_i64(env, argv[0], &fd)) return NULL;
  int r = fcntl((int)fd, F_DUPFD_CLOEXEC, 3);
  return r < 0 ? neg_errno(env) : make_int(env, r);
}

/* ioctl(fd, request, buffer) -> result | -errno, for requests whose argument is a struct
 * of fixed size. Safe: the request must declare a direction and its encoded size must fit
 * in the buffer, so the kernel's copy_from_user/copy_to_user of _IOC_SIZE bytes stays
 * inside it. Requests with a variable-length tail or embedded pointers need
 * ioctlUnchecked. */
static napi_value shim_ioctl(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int64_t fd;
  uint32_t req;
  void *data;
  size_t len;
  if (!get_args(env, info, 3, argv) || !get_i64(env, argv[0], &fd) || !get_u32(env, argv[1], &req) ||
      !get_bytes(env, argv[2], &data, &len))
    return NULL;
  if (SHIM_IOC_DIR(req) == SHIM_IOC_NONE || SHIM_IOC_SIZE(req) > len || data == NULL) return make_int(env, -EINVAL);
  int r = ioctl((int)fd, (unsigned long)req, data);
  return r < 0 ? neg_errno(env) : make_int(env, r);
}

/* ioctlUnchecked(fd, request, buffer) -> result | -errno. UNCHECKED: for requests whose
 * struct has a variable-length tail (KVM_GET_MSRS, KVM_SET_GSI_ROUTING, ...) or carries
 * pointers (KVM_SET_USER_MEMORY_REGION, KVM_GET_DIRTY_LOG). The caller guarantees that
 * the buffer holds everything the kernel will read or write for this request and that
 * every pointer inside it stays valid for as long as the kernel may use it. */
static napi_value shim_ioctl_unchecked(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int64_t fd;
  uint32_t req;
  void *data;
  size_t len;
  if (!get_args(env, info, 3, argv) || !get_i64(env, argv[0], &fd) || !get_u32(env, argv[1], &req) ||
      !get_bytes(env, argv[2], &data, &len))
    return NULL;
  if (data == NULL || len == 0) return make_int(env, -EINVAL);
  int r = ioctl((int)fd, (unsigned long)req, data);
  return r < 0 ? neg_errno(env) : make_int(env, r);
}

/* ioctlInt(fd, request, arg) -> result | -errno, for requests that take an integer (or
 * nothing): KVM_RUN, KVM_CREATE_VCPU, KVM_CHECK_EXTENSION, ... Safe: only requests that
 * declare no data direction are accepted, and for those the kernel never dereferences the
 * argument as a pointer. */
static napi_value shim_ioctl_int(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int64_t fd, arg;
  uint32_t req;
  if (!get_args(env, info, 3, argv) || !get_i64(env, argv[0], &fd) || !get_u32(env, argv[1], &req) ||
      !get_i64(env, argv[2], &arg))
    return NULL;
  if (SHIM_IOC_DIR(req) != SHIM_IOC_NONE) return make_int(env, -EINVAL);
  int r = ioctl((int)fd, (unsigned long)req, (unsigned long)arg);
  return r < 0 ? neg_errno(env) : make_int(env, r);
}

/* --- mappings ------------------------------------------------------------------------ */

/* The largest ArrayBuffer Node wraps around foreign memory: napi_create_external_arraybuffer
 * goes through node::Buffer::New, which refuses more than v8::TypedArray::kMaxLength (2^32
 * on 64-bit hosts) -- and on that refusal calls the finalizer before returning the error.
 * Larger mappings are handed out in pieces ("chunks") no longer than this. */
#define SHIM_MAX_CHUNK ((int64_t)1 << 32)
/* A mapping in more pieces than this is a caller's mistake (2^16 pieces of 4 GiB: 256 TiB). */
#define SHIM_MAX_CHUNKS 65536

/* One mmap() and the ArrayBuffers (one per chunk) JS reaches it through. The table holds
 * the mappings not yet unmapped, so munmap() only ever unmaps what mmap() made, and does it
 * once, whichever comes first of the explicit call and the last finalizer. `refs` counts
 * the chunk buffers whose finalizer may still run, plus one while mmap() is building them;
 * the struct is freed when it drops to zero, never earlier, so a late finalizer always finds
 * it. All fields after creation are read or written under the lock. */
struct mapping {
  void *addr;
  size_t len;
  size_t chunk;
  size_t nchunks;
  size_t refs;
  struct mapping *next;
};
static struct mapping *mappings;
static pthread_mutex_t mappings_lock = PTHREAD_MUTEX_INITIALIZER;

/* Removes `m` from the table if it is still there; returns whether it was. Lock held. */
static int take_mapping_locked(struct mapping *m) {
  for (struct mapping **p = &mappings; *p != NULL; p = &(*p)->next) {
    if (*p == m) {
      *p = m->next;
      return 1;
    }
  }
  return 0;
}

/* Drops one reference; the last one unmaps (unless munmap() already did) and frees. */
static void release_mapping(struct mapping *m) {
  pthread_mutex_lock(&mappings_lock);
  int last = --m->refs == 0;
  int unmap = last && take_mapping_locked(m);
  pthread_mutex_unlock(&mappings_lock);
  if (unmap) munmap(m->addr, m->len);
  if (last) free(m);
}

/* The mapping and chunk index an ArrayBuffer made by mmap() covers, or NULL. Lock held. */
static struct mapping *find_chunk_locked(void *data, size_t len, size_t *index) {
  uintptr_t a = (uintptr_t)data;
  for (struct mapping *m = mappings; m != NULL; m = m->next) {
    uintptr_t base = (uintptr_t)m->addr;
    if (a < base || a >= base + m->len || (a - base) % m->chunk != 0) continue;
    size_t i = (a - base) / m->chunk;
    size_t want = i + 1 < m->nchunks ? m->chunk : m->len - i * m->chunk;
    if (len != want) return NULL;
    *index = i;
    return m;
  }
  return NULL;
}

static void finalize_chunk(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  release_mapping(hint);
}

/* mmap(fd, length, offset[, chunk]) -> ArrayBuffer[] | -errno: one shared read-write mapping
 * of a vCPU's kvm_run area or of a memfd, contiguous in the host's address space (what a
 * KVM memory slot needs), handed to JS as consecutive external ArrayBuffers of `chunk` bytes
 * (the last one shorter; default and at most SHIM_MAX_CHUNK, so no buffer is ever larger
 * than Node can wrap). Safe: JS reaches the mapping only through those buffers, which
 * exactly tile it; the mapping is released by munmap() (which detaches every buffer first,
 * so no view can touch unmapped memory) or when the last buffer is collected.
 * Ownership on failure: if wrapping a chunk fails, Node may already have run (or may later
 * run) that chunk's finalizer, so the struct is left to the reference count (a failure
 * before the count could be dropped leaks the few bytes of the struct, never frees twice);
 * the mapping itself is unmapped here at once, and the buffers made so far are never
 * returned to JS. */
static napi_value shim_mmap(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  size_t argc = 4;
  int64_t fd, length, offset, chunk;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) {
    napi_throw_type_error(env, "ERR_KVM_SHIM_ARGS", "kvm_shim: too few arguments");
    return NULL;
  }
  if (!get_i64(env, argv[0], &fd) || !get_i64(env, argv[1], &length) || !get_i64(env, argv[2], &offset)) return NULL;
  if (argc >= 4) {
    if (!get_i64(env, argv[3], &chunk)) return NULL;
  } else {
    chunk = length < SHIM_MAX_CHUNK ? length : SHIM_MAX_CHUNK;
  }
  if (length <= 0 || offset < 0 || chunk <= 0 || chunk > SHIM_MAX_CHUNK) return make_int(env, -EINVAL);
  int64_t nchunks = length / chunk + (length % chunk != 0);
  if (nchunks > SHIM_MAX_CHUNKS) return make_int(env, -EINVAL);
  napi_value array;
  CHECK_NAPI(napi_create_array_with_length(env, (size_t)nchunks, &array));
  struct mapping *m = calloc(1, sizeof *m);
  if (m == NULL) return make_int(env, -ENOMEM);
  void *p = mmap(NULL, (size_t)length, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, (off_t)offset);
  if (p == MAP_FAILED) {
    int e = errno;
    free(m);
    return make_int(env, -e);
  }
  m->addr = p;
  m->len = (size_t)length;
  m->chunk = (size_t)chunk;
  m->nchunks = (size_t)nchunks;
  m->refs = 1; /* this call's, dropped below */
  pthread_mutex_lock(&mappings_lock);
  m->next = mappings;
  mappings = m;
  pthread_mutex_unlock(&mappings_lock);
  int failed = 0;
  for (size_t i = 0; i < m->nchunks && !failed; i++) {
    size_t len = i + 1 < m->nchunks ? m->chunk : m->len - i * m->chunk;
    pthread_mutex_lock(&mappings_lock);
    m->refs++; /* the chunk's finalizer's, from here on: it may run even if wrapping fails */
    pthread_mutex_unlock(&mappings_lock);
    napi_value ab;
    if (napi_create_external_arraybuffer(env, (char *)p + i * m->chunk, len, finalize_chunk, m, &ab) != napi_ok ||
        napi_set_element(env, array, (uint32_t)i, ab) != napi_ok)
      failed = 1;
  }
  if (failed) {
    pthread_mutex_lock(&mappings_lock);
    int unmap = take_mapping_locked(m);
    pthread_mutex_unlock(&mappings_lock);
    if (unmap) munmap(p, (size_t)length);
  }
  release_mapping(m);
  if (failed) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_error(env, "ERR_KVM_SHIM", "kvm_shim: cannot wrap the mapping in ArrayBuffers");
    return NULL;
  }
  return array;
}

/* munmap(buffers) -> 0 | -errno, where `buffers` is what mmap() returned (an array of every
 * chunk buffer of one mapping; a single ArrayBuffer is accepted for a one-chunk mapping).
 * Safe: only buffers made by mmap() are accepted (looked up by address and length), all of
 * the mapping's chunks must be there exactly once, every buffer is detached before the
 * memory goes away (so every view over them becomes zero-length) and the finalizers will
 * not unmap again. Nothing is detached or unmapped when a check fails. */
static napi_value shim_munmap(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, 1, argv)) return NULL;
  bool is_array = false, is_ab = false;
  uint32_t n = 1;
  if (napi_is_array(env, argv[0], &is_array) != napi_ok) return NULL;
  if (is_array) {
    CHECK_NAPI(napi_get_array_length(env, argv[0], &n));
  } else if (napi_is_arraybuffer(env, argv[0], &is_ab) != napi_ok || !is_ab) {
    napi_throw_type_error(env, "ERR_KVM_SHIM_ARGS", "kvm_shim: munmap takes the ArrayBuffers mmap returned");
    return NULL;
  }
  if (n == 0 || n > SHIM_MAX_CHUNKS) return make_int(env, -EINVAL);
  napi_value *bufs = calloc(n, sizeof *bufs);
  uint8_t *seen = calloc(n, 1);
  if (bufs == NULL || seen == NULL) {
    free(bufs);
    free(seen);
    return make_int(env, -ENOMEM);
  }
  int64_t r = 0;
  struct mapping *m = NULL;
  for (uint32_t k = 0; k < n && r == 0; k++) {
    if (!is_array) bufs[k] = argv[0];
    else if (napi_get_element(env, argv[0], k, &bufs[k]) != napi_ok) r = -EINVAL;
    bool ab = false;
    void *data = NULL;
    size_t len = 0;
    if (r == 0 && (napi_is_arraybuffer(env, bufs[k], &ab) != napi_ok || !ab ||
                   napi_get_arraybuffer_info(env, bufs[k], &data, &len) != napi_ok || data == NULL))
      r = -EINVAL;
    if (r != 0) break;
    size_t index = 0;
    pthread_mutex_lock(&mappings_lock);
    struct mapping *found = find_chunk_locked(data, len, &index);
    int ok = found != NULL && (m == NULL || found == m) && found->nchunks == n && !seen[index];
    /* A hold of our own until the end: a finalizer that detaching sets off (now or later)
     * cannot free the struct under us. */
    if (ok && m == NULL) found->refs++;
    pthread_mutex_unlock(&mappings_lock);
    if (!ok) r = -EINVAL;
    else {
      m = found;
      seen[index] = 1;
    }
  }
  for (uint32_t k = 0; k < n && r == 0; k++) {
    /* Only an ArrayBuffer that cannot be detached fails here; the ones detached before it
     * are empty now, and the mapping stays for the others. */
    if (napi_detach_arraybuffer(env, bufs[k]) != napi_ok) r = -EBUSY;
  }
  free(bufs);
  free(seen);
  int unmap = 0;
  if (r == 0) {
    pthread_mutex_lock(&mappings_lock);
    unmap = take_mapping_locked(m);
    pthread_mutex_unlock(&mappings_lock);
    if (!unmap) r = -EINVAL;
    else if (munmap(m->addr, m->len) < 0) r = -(int64_t)errno;
  }
  if (m != NULL) release_mapping(m);
  return make_int(env, r);
}

/* bufferAddress(buffer) -> bigint: the host virtual address of a buffer's first byte, for
 * the structs that carry pointers (memory slots, dirty bitmaps). Reading an address is
 * harmless; what makes its use safe is the ...Unchecked ioctl's contract. */
static napi_value shim_buffer_address(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data;
  size_t len;
  if (!get_args(env, info, 1, argv) || !get_bytes(env, argv[0], &data, &len)) return NULL;
  napi_value out;
  CHECK_NAPI(napi_create_bigint_uint64(env, (uint64_t)(uintptr_t)data, &out));
  return out;
}

/* memfdCreate(name, flags) -> fd | -errno. Safe: the name is copied into a bounded buffer
 * (the kernel limits it to 249 bytes anyway); MFD_CLOEXEC is forced. */
static napi_value shim_memfd_create(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, 2, argv)) return NULL;
  char name[250];
  size_t n;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &n) != napi_ok) {
    napi_throw_type_error(env, "ERR_KVM_SHIM_ARGS", "kvm_shim: memfd name must be a string");
    return NULL;
  }
  uint32_t flags;
  if (!get_u32(env, argv[1], &flags)) return NULL;
  int fd = (int)syscall(SYS_memfd_create, name, flags | 1u /* MFD_CLOEXEC */);
  return fd < 0 ? neg_errno(env) : make_int(env, fd);
}

/* ftruncate(fd, size) -> 0 | -errno. No memory is touched. */
static napi_value shim_ftruncate(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int64_t fd, size;
  if (!get_args(env, info, 2, argv) || !get_i64(env, argv[0], &fd) || !get_i64(env, argv[1], &size)) return NULL;
  return ftruncate((int)fd, (off_t)size) < 0 ? neg_errno(env) : make_int(env, 0);
}

/* eventfd(initval, flags) -> fd | -errno; EFD_CLOEXEC is forced. No memory is touched. */
static napi_value shim_eventfd(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint32_t initval, flags;
  if (!get_args(env, info, 2, argv) || !get_u32(env, argv[0], &initval) || !get_u32(env, argv[1], &flags)) return NULL;
  int fd = eventfd(initval, (int)flags | EFD_CLOEXEC);
  return fd < 0 ? neg_errno(env) : make_int(env, fd);
}

/* eventfdRead(fd) -> counter | -errno (EAGAIN when a non-blocking eventfd is zero). Safe:
 * reads exactly 8 bytes into a local. Counters above 2^53 lose precision in JS; nothing
 * here signals that often. */
static napi_value shim_eventfd_read(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t fd;
  if (!get_args(env, info, 1, argv) || !get_i64(env, argv[0], &fd)) return NULL;
  uint64_t v;
  ssize_t r = read((int)fd, &v, sizeof v);
  if (r < 0) return neg_errno(env);
  if (r != sizeof v) return make_int(env, -EIO);
  return make_int(env, (int64_t)(v > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : v));
}

/* eventfdWrite(fd, value) -> 0 | -errno. Safe: writes exactly 8 bytes from a local. */
static napi_value shim_eventfd_write(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int64_t fd, value;
  if (!get_args(env, info, 2, argv) || !get_i64(env, argv[0], &fd) || !get_i64(env, argv[1], &value)) return NULL;
  if (value <= 0) return make_int(env, -EINVAL);
  uint64_t v = (uint64_t)value;
  ssize_t r = write((int)fd, &v, sizeof v);
  if (r < 0) return neg_errno(env);
  return make_int(env, r == sizeof v ? 0 : -EIO);
}

/* pollIn(fd, timeoutMs) -> 1 readable | 0 timeout | -errno; a negative timeout waits
 * forever. Blocks the calling thread (a device thread, never the event loop). Safe: one
 * pollfd on the stack. */
static napi_value shim_poll_in(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int64_t fd, timeout;
  if (!get_args(env, info, 2, argv) || !get_i64(env, argv[0], &fd) || !get_i64(env, argv[1], &timeout)) return NULL;
  struct pollfd p = { .fd = (int)fd, .events = POLLIN, .revents = 0 };
  int t = timeout < 0 ? -1 : timeout > INT_MAX ? INT_MAX : (int)timeout;
  int r = poll(&p, 1, t);
  if (r < 0) return neg_errno(env);
  if (r == 0) return make_int(env, 0);
  if (p.revents & (POLLERR | POLLNVAL)) return make_int(env, -EBADF);
  return make_int(env, 1);
}

/* --- kicks --------------------------------------------------------------------------- */

static void kick_handler(int sig) { (void)sig; }
static pthread_once_t kick_once = PTHREAD_ONCE_INIT;
static int kick_install_error;

static void install_kick_handler(void) {
  int sig = SIGRTMIN + KICK_SIGNAL_OFFSET;
  struct sigaction old;
  if (sigaction(sig, NULL, &old) < 0) {
    kick_install_error = errno;
    return;
  }
  /* Someone else owns this signal: refuse rather than silently replace their handler. */
  if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler != SIG_DFL && old.sa_handler != kick_handler) {
    kick_install_error = EBUSY;
    return;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = kick_handler;
  /* No SA_RESTART: a kick must also end a blocking call the vCPU thread makes outside
   * KVM_RUN (a poll on eventfds while the vCPU is halted), so the thread looks at its kick
   * flag promptly. KVM_RUN itself returns EINTR either way; the callers of this shim treat
   * -EINTR as an ordinary result. */
  sa.sa_flags = 0;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) < 0) kick_install_error = errno;
}

/* kickInit() -> host thread id | -errno. Installs the do-nothing handler once per process
 * and unblocks the signal in the calling thread, which will run a vCPU. No memory is
 * shared with the handler. */
static napi_value shim_kick_init(napi_env env, napi_callback_info info) {
  (void)info;
  pthread_once(&kick_once, install_kick_handler);
  if (kick_install_error != 0) return make_int(env, -kick_install_error);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN + KICK_SIGNAL_OFFSET);
  int e = pthread_sigmask(SIG_UNBLOCK, &set, NULL);
  if (e != 0) return make_int(env, -e);
  return make_int(env, (int64_t)syscall(SYS_gettid));
}

/* kickThread(tid) -> 0 | -errno: sends the kick signal to one thread of this process.
 * tgkill, not pthread_kill: a thread id that has gone away gives ESRCH instead of
 * undefined behaviour, and only threads of this process (all of which have the no-op
 * handler) can be reached. */
static napi_value shim_kick_thread(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t tid;
  if (!get_args(env, info, 1, argv) || !get_i64(env, argv[0], &tid)) return NULL;
  pthread_once(&kick_once, install_kick_handler);
  if (kick_install_error != 0) return make_int(env, -kick_install_error);
  if (tid <= 0) return make_int(env, -EINVAL);
  long r = syscall(SYS_tgkill, (long)getpid(), (long)tid, (long)(SIGRTMIN + KICK_SIGNAL_OFFSET));
  return r < 0 ? neg_errno(env) : make_int(env, 0);
}

/* gettid() -> host thread id of the caller. No memory is touched. */
static napi_value shim_gettid(napi_env env, napi_callback_info info) {
  (void)info;
  return make_int(env, (int64_t)syscall(SYS_gettid));
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    { "open", NULL, shim_open, NULL, NULL, NULL, napi_enumerable, NULL },
    { "close", NULL, shim_close, NULL, NULL, NULL, napi_enumerable, NULL },
    { "dup", NULL, shim_dup, NULL, NULL, NULL, napi_enumerable, NULL },
    { "ioctl", NULL, shim_ioctl, NULL, NULL, NULL, napi_enumerable, NULL },
    { "ioctlUnchecked", NULL, shim_ioctl_unchecked, NULL, NULL, NULL, napi_enumerable, NULL },
    { "ioctlInt", NULL, shim_ioctl_int, NULL, NULL, NULL, napi_enumerable, NULL },
    { "mmap", NULL, shim_mmap, NULL, NULL, NULL, napi_enumerable, NULL },
    { "munmap", NULL, shim_munmap, NULL, NULL, NULL, napi_enumerable, NULL },
    { "bufferAddress", NULL, shim_buffer_address, NULL, NULL, NULL, napi_enumerable, NULL },
    { "memfdCreate", NULL, shim_memfd_create, NULL, NULL, NULL, napi_enumerable, NULL },
    { "ftruncate", NULL, shim_ftruncate, NULL, NULL, NULL, napi_enumerable, NULL },
    { "eventfd", NULL, shim_eventfd, NULL, NULL, NULL, napi_enumerable, NULL },
    { "eventfdRead", NULL, shim_eventfd_read, NULL, NULL, NULL, napi_enumerable, NULL },
    { "eventfdWrite", NULL, shim_eventfd_write, NULL, NULL, NULL, napi_enumerable, NULL },
    { "pollIn", NULL, shim_poll_in, NULL, NULL, NULL, napi_enumerable, NULL },
    { "kickInit", NULL, shim_kick_init, NULL, NULL, NULL, napi_enumerable, NULL },
    { "kickThread", NULL, shim_kick_thread, NULL, NULL, NULL, napi_enumerable, NULL },
    { "gettid", NULL, shim_gettid, NULL, NULL, NULL, napi_enumerable, NULL },
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
