/*
 * Batched RTP receive for the recorder (issue 14): node:dgram costs one libuv read, one Buffer
 * and one JS callback per datagram, 10-13 us of CPU each, which alone was more than the
 * recorder's whole budget per call. This addon keeps the sockets out of libuv: the recorder
 * thread's ticker calls drain(), which asks epoll(7) which sockets have data and reads each one
 * with recvmmsg(2) into one shared slab, so a 100 ms tick (ticker.ts, TICK_MS) takes every leg's queued datagrams with
 * one system call per ready socket and one JS call in all. Arrival times are the kernel's
 * (SO_TIMESTAMPNS, socket(7)), so a packet's place on the call's clock does not depend on when
 * the thread got to it. Node-API only: no V8 or libuv symbols, so any Node >= 18 loads it.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define MAX_BATCH 64
/* Datagrams per drain() call at most (the caller calls again while a call fills its slab). */
#define MAX_DRAIN 1024
/* One control message: a struct timespec under a cmsghdr (SCM_TIMESTAMPNS). */
#define CMSG_SPACE_TS 64

/*
 * The descriptors this environment (the main thread or one worker thread) opened: closed when
 * the environment ends, so a recorder thread that dies does not leave its ports bound (libuv
 * closes its own handles at teardown; these are not libuv's).
 */
typedef struct {
  int *fds;
  size_t n, cap;
} env_fds;

static void env_fds_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  env_fds *f = data;
  for (size_t i = 0; i < f->n; i++) close(f->fds[i]);
  free(f->fds);
  free(f);
}

static env_fds *fds_of(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  return data;
}

static int fds_add(napi_env env, int fd) {
  env_fds *f = fds_of(env);
  if (f == NULL) return 0;
  if (f->n == f->cap) {
    size_t cap = f->cap ? 2 * f->cap : 64;
    int *grown = realloc(f->fds, cap * sizeof *grown);
    if (grown == NULL) return 0;
    f->fds = grown;
    f->cap = cap;
  }
  f->fds[f->n++] = fd;
  return 1;
}

static int fds_remove(napi_env env, int fd) {
  env_fds *f = fds_of(env);
  if (f == NULL) return 0;
  for (size_t i = 0; i < f->n; i++) {
    if (f->fds[i] == fd) {
      f->fds[i] = f->fds[--f->n];
      return 1;
    }
  }
  return 0;
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, text, error;
  const char *name = err == EADDRINUSE ? "EADDRINUSE" : err == EACCES ? "EACCES" : err == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : err == EINVAL ? "EINVAL" : err == EMFILE ? "EMFILE" : "EIO";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &error);
  napi_set_named_property(env, error, "code", code);
  napi_throw(env, error);
  return NULL;
}

static int arg_int(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

static napi_value int_value(napi_env env, int32_t n) {
  napi_value v;
  napi_create_int32(env, n, &v);
  return v;
}

/* open(host, port) -> [fd, boundPort]: a non-blocking UDP socket with kernel receive timestamps. */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char host[64];
  size_t hostLen = 0;
  int32_t port = 0;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], host, sizeof host, &hostLen) != napi_ok || !arg_int(env, argv[1], &port) || port < 0 || port > 65535) {
    napi_throw_type_error(env, NULL, "open(host: string, port: number)");
    return NULL;
  }
  struct sockaddr_storage ss;
  socklen_t slen;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    slen = sizeof *a4;
  } else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    slen = sizeof *a6;
  } else {
    return throw_errno(env, "open: not a numeric address", EINVAL);
  }
  int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0 || bind(fd, (struct sockaddr *)&ss, slen) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  if (getsockname(fd, (struct sockaddr *)&ss, &slen) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "getsockname", err);
  }
  if (!fds_add(env, fd)) {
    close(fd);
    return throw_errno(env, "open", ENOMEM);
  }
  int bound = ss.ss_family == AF_INET ? ntohs(a4->sin_port) : ntohs(a6->sin6_port);
  napi_value out;
  napi_create_array_with_length(env, 2, &out);
  napi_set_element(env, out, 0, int_value(env, fd));
  napi_set_element(env, out, 1, int_value(env, bound));
  return out;
}

/* poller() -> epoll fd (one per recorder thread). */
static napi_value js_poller(napi_env env, napi_callback_info info) {
  (void)info;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return throw_errno(env, "epoll_create1", errno);
  if (!fds_add(env, ep)) {
    close(ep);
    return throw_errno(env, "poller", ENOMEM);
  }
  return int_value(env, ep);
}

/* watch(poller, fd): level-triggered, so what one drain leaves is reported again by the next. */
static napi_value js_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t ep, fd;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || !arg_int(env, argv[0], &ep) || !arg_int(env, argv[1], &fd)) {
    napi_throw_type_error(env, NULL, "watch(poller: number, fd: number)");
    return NULL;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) return throw_errno(env, "epoll_ctl", errno);
  return NULL;
}

/* close(fd): also leaves the epoll set (epoll(7): a closed descriptor is removed). Only what this environment opened. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || !arg_int(env, argv[0], &fd)) {
    napi_throw_type_error(env, NULL, "close(fd: number)");
    return NULL;
  }
  if (fds_remove(env, fd)) close(fd);
  return NULL;
}

static int64_t ns_of(const struct timespec *t) {
  return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/*
 * drain(poller, slab, slotSize, meta) -> n: reads up to slab.length / slotSize datagrams from the
 * ready sockets. Datagram i is at slab[i * slotSize], and meta[4i..4i+3] = fd, length (-1 when
 * longer than a slot: MSG_TRUNC), microseconds between its arrival and the end of this call, 0.
 */
static napi_value js_drain(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t ep, slot;
  void *slab, *metaRaw;
  size_t slabLen, metaLen;
  napi_typedarray_type mt;
  if (argc < 4 || !arg_int(env, argv[0], &ep) || !arg_int(env, argv[2], &slot) || slot <= 0 ||
      napi_get_buffer_info(env, argv[1], &slab, &slabLen) != napi_ok ||
      napi_get_typedarray_info(env, argv[3], &mt, &metaLen, &metaRaw, NULL, NULL) != napi_ok || mt != napi_int32_array) {
    napi_throw_type_error(env, NULL, "drain(poller: number, slab: Buffer, slotSize: number, meta: Int32Array)");
    return NULL;
  }
  int32_t *meta = (int32_t *)metaRaw;
  size_t cap = slabLen / (size_t)slot;
  if (cap > metaLen / 4) cap = metaLen / 4;
  if (cap > MAX_DRAIN) cap = MAX_DRAIN;
  struct epoll_event evs[MAX_EVENTS];
  int ready = epoll_wait(ep, evs, MAX_EVENTS, 0);
  if (ready < 0) return errno == EINTR ? int_value(env, 0) : throw_errno(env, "epoll_wait", errno);
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  char ctl[MAX_BATCH][CMSG_SPACE_TS];
  int64_t arrived[MAX_DRAIN]; /* on the stack: every recorder thread drains its own poller at once */
  size_t n = 0;
  for (int e = 0; e < ready && n < cap; e++) {
    int fd = evs[e].data.fd;
    for (;;) {
      size_t want = cap - n;
      if (want > MAX_BATCH) want = MAX_BATCH;
      if (want == 0) break;
      for (size_t i = 0; i < want; i++) {
        iov[i].iov_base = (char *)slab + (n + i) * (size_t)slot;
        iov[i].iov_len = (size_t)slot;
        memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_control = ctl[i];
        msgs[i].msg_hdr.msg_controllen = CMSG_SPACE_TS;
      }
      /* MSG_DONTWAIT: returns what is queued (recvmmsg(2)); EAGAIN when nothing is. */
      int got = recvmmsg(fd, msgs, (unsigned)want, MSG_DONTWAIT, NULL);
      if (got <= 0) break; /* drained, or a pending socket error (reported once): next socket */
      for (int i = 0; i < got; i++) {
        int32_t *m = meta + 4 * (n + (size_t)i);
        m[0] = fd;
        m[1] = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? -1 : (int32_t)msgs[i].msg_len;
        m[3] = 0;
        arrived[n + (size_t)i] = -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c != NULL; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            arrived[n + (size_t)i] = ns_of(&ts);
          }
        }
      }
      n += (size_t)got;
      if ((size_t)got < want) break;
    }
  }
  /* Ages against one reading of the same clock the kernel stamped with (socket(7)). */
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t nowNs = ns_of(&now);
  for (size_t i = 0; i < n; i++) {
    int64_t age = arrived[i] < 0 ? 0 : (nowNs - arrived[i]) / 1000;
    if (age < 0) age = 0; /* the realtime clock stepped back meanwhile */
    if (age > 0x7fffffff) age = 0x7fffffff;
    meta[4 * i + 2] = (int32_t)age;
  }
  return int_value(env, (int32_t)n);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"poller", NULL, js_poller, NULL, NULL, NULL, napi_default, NULL},
      {"watch", NULL, js_watch, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"drain", NULL, js_drain, NULL, NULL, NULL, napi_default, NULL},
  };
  env_fds *f = calloc(1, sizeof *f);
  if (f == NULL || napi_set_instance_data(env, f, env_fds_free, NULL) != napi_ok) {
    free(f);
    napi_throw_error(env, NULL, "udp_batch: no memory for its descriptor table");
    return NULL;
  }
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

#ifndef NODE_GYP_MODULE_NAME
#define NODE_GYP_MODULE_NAME udp_batch
#endif
NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
