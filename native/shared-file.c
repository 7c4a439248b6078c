/*
 * The first bytes of a file this process already has open, mapped read-only and shared: an
 * ArrayBuffer whose contents are whatever the file holds at the moment of each read, with no
 * system call per read.
 *
 * Roster maps the start of SQLite's `-shm` file this way: every commit, by any connection of
 * any process, rewrites the wal-index header there, so comparing it with the copy last seen
 * tells whether the database may have changed (src/db/connect.ts, commitCounter).
 *
 * The mapping is made through SQLite's own descriptor of the file, found among the process's
 * open files: this never opens or closes the file itself. Closing any descriptor of a file
 * releases every POSIX lock the process holds on it, and SQLite's connections hold theirs on
 * the `-shm` for as long as they are open; without its shared lock there, the next process to
 * open the database believes it is the first and truncates the file under every connection of
 * this one.
 *
 *   mapShared(path: string, bytes: number): ArrayBuffer   throws if no open descriptor is
 *                                                          the file, or it is shorter
 *   unmapShared(buffer: ArrayBuffer): void                 detaches it: reads see nothing
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

typedef struct {
  void *address;
  size_t bytes;
} Mapping;

/* Unmaps and frees: once the ArrayBuffer's last reference is gone, or it was never made. */
static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  Mapping *mapping = hint;
  munmap(mapping->address, mapping->bytes);
  free(mapping);
}

static napi_value fail(napi_env env, const char *what, const char *path) {
  char message[4096 + 512];
  snprintf(message, sizeof message, "%s %s: %s", what, path, strerror(errno));
  napi_throw_error(env, NULL, message);
  return NULL;
}

/* The same file: same device, same inode. */
static int same_file(const struct stat *a, const struct stat *b) {
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/*
 * Maps `bytes` of the file `wanted` through a descriptor the process already has open on it,
 * or answers MAP_FAILED (errno ENOENT when there is none). Another thread may close and reuse
 * a descriptor meanwhile, so the descriptor is checked again once mapped.
 */
static void *map_open_file(const struct stat *wanted, size_t bytes) {
  DIR *descriptors = opendir("/dev/fd");
  if (descriptors == NULL) return MAP_FAILED;
  void *address = MAP_FAILED;
  struct dirent *entry;
  struct stat found;
  errno = ENOENT;
  while (address == MAP_FAILED && (entry = readdir(descriptors)) != NULL) {
    char *end;
    long fd = strtol(entry->d_name, &end, 10);
    if (*end != '\0' || end == entry->d_name || fd == dirfd(descriptors)) continue;
    if (fstat((int)fd, &found) != 0 || !same_file(&found, wanted)) continue;
    address = mmap(NULL, bytes, PROT_READ, MAP_SHARED, (int)fd, 0);
    if (address == MAP_FAILED) continue;
    if (fstat((int)fd, &found) != 0 || !same_file(&found, wanted) ||
        found.st_size < (off_t)bytes) {
      munmap(address, bytes);
      address = MAP_FAILED;
      errno = ENOENT;
    }
  }
  int error = errno;
  closedir(descriptors);
  errno = error;
  return address;
}

static napi_value map_shared(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char path[4096];
  size_t length = 0;
  int64_t bytes = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
      napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok ||
      napi_get_value_int64(env, argv[1], &bytes) != napi_ok || bytes <= 0 ||
      length >= sizeof path - 1) {
    napi_throw_type_error(env, NULL, "mapShared(path: string, bytes: number)");
    return NULL;
  }
  struct stat wanted;
  if (stat(path, &wanted) != 0) return fail(env, "cannot stat", path);
  if (wanted.st_size < bytes) {
    // Reading a mapped page past the end of the file would kill the process (SIGBUS).
    errno = EINVAL;
    return fail(env, "too short to map", path);
  }
  void *address = map_open_file(&wanted, (size_t)bytes);
  if (address == MAP_FAILED) return fail(env, "cannot map", path);

  Mapping *mapping = malloc(sizeof *mapping);
  if (mapping == NULL) {
    munmap(address, (size_t)bytes);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  mapping->address = address;
  mapping->bytes = (size_t)bytes;
  napi_value buffer;
  if (napi_create_external_arraybuffer(env, address, (size_t)bytes, finalize, mapping, &buffer) !=
      napi_ok) {
    finalize(env, NULL, mapping);
    napi_throw_error(env, NULL, "cannot make an ArrayBuffer of a mapping");
    return NULL;
  }
  return buffer;
}

static napi_value unmap_shared(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool detached = false;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_is_detached_arraybuffer(env, argv[0], &detached) != napi_ok) {
    napi_throw_type_error(env, NULL, "unmapShared(buffer: ArrayBuffer)");
    return NULL;
  }
  // Detached, the buffer reads as empty at once; the mapping itself goes with its last
  // reference, in the finalizer, exactly once.
  if (!detached && napi_detach_arraybuffer(env, argv[0]) != napi_ok) {
    napi_throw_type_error(env, NULL, "unmapShared(buffer: ArrayBuffer)");
    return NULL;
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value map, unmap;
  napi_create_function(env, "mapShared", NAPI_AUTO_LENGTH, map_shared, NULL, &map);
  napi_create_function(env, "unmapShared", NAPI_AUTO_LENGTH, unmap_shared, NULL, &unmap);
  napi_set_named_property(env, exports, "mapShared", map);
  napi_set_named_property(env, exports, "unmapShared", unmap);
  return exports;
}
