/* SPDX-License-Identifier: GPL-2.0-or-later */
/* image.h - OCI images: the store, pull and import through skopeo, layer
 * unpacking in a user namespace, and what `nook run IMAGE` takes from an
 * image (its layers as overlay lowers, its config under the profile's).
 *
 * The store (NOOK_STORE, else $XDG_DATA_HOME/nook/images, else
 * ~/.local/share/nook/images):
 *   lock                 flock: exclusive while the store changes, shared
 *                        while `nook run` looks an image up
 *   images.json          the index: name -> manifest, config, layers
 *   blobs/sha256/HEX     manifests and configs, by digest
 *   layers/HEX/          one unpacked layer per layer blob digest, shared
 *                        by every image that has that blob; a running
 *                        container holds a shared flock on each of its layers
 *   tmp/pull-XXXXXX/     a pull or import in progress (flocked by it);
 *                        a killed one is removed by the next store change
 * Layers appear in layers/ only by rename(2) of a complete tree. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nook/error.h"
#include "nook/spec.h"

struct nook_image_opts {
	const char *store;       /* NULL = the default location above */
	bool tls_verify_off;     /* pull: --tls-verify=false */
	const char *authfile;    /* pull: --authfile */
	const char *name;        /* import: the name to give the image */
	bool progress;           /* skopeo's progress output (a terminal) */
};

/* One entry of the index. */
struct nook_image_info {
	char *name;              /* normalized: registry/path:tag */
	char *manifest;          /* sha256:... */
	char *config;
	char **layers;           /* layer blob digests, bottom first */
	uint64_t size;           /* bytes of the layer blobs (compressed) */
	int64_t created;         /* unix time the image came into the store */
};
void nook_image_info_free(struct nook_image_info *v, size_t n);

/* Normalize a reference like podman does for the docker transport:
 * "busybox" -> "docker.io/library/busybox:latest". NULL (err filled) when
 * the reference is malformed. */
char *nook_image_ref_normalize(const char *ref, struct nook_error *err);

/* The store directory (malloc'd). */
char *nook_image_store_dir(const char *opt);

/* nook image pull REF / import FILE|DIR. The name stored is written to
 * *name_out (malloc'd) when not NULL. */
int nook_image_pull(const char *ref, const struct nook_image_opts *o, char **name_out,
		    struct nook_error *err);
int nook_image_import(const char *path, const struct nook_image_opts *o, char **name_out,
		      struct nook_error *err);
/* The images in the store, sorted by name. */
int nook_image_list(const struct nook_image_opts *o, struct nook_image_info **out, size_t *n,
		    struct nook_error *err);
/* Remove the image named ref (or whose id starts with ref) from the index,
 * then prune. Layers a running container holds stay until a later prune. */
int nook_image_remove(const char *ref, const struct nook_image_opts *o, struct nook_error *err);
/* Remove layers and blobs no image refers to and killed pulls' leftovers.
 * *freed counts the layers and blobs removed, *busy the unreferenced
 * layers kept because a container uses them. */
int nook_image_prune(const struct nook_image_opts *o, size_t *freed, size_t *busy,
		     struct nook_error *err);
/* Is there an image of this name in the store? (No error when not.) */
bool nook_image_exists(const char *ref, const char *store);

/* `nook run`: the spec's rootfs.image becomes the overlay's lower layers,
 * and the image config's Env, Entrypoint/Cmd, WorkingDir and User fill
 * what the profile left unset. hold receives the descriptors that keep the
 * layers locked (shared) while the container runs; release them after. */
struct nook_image_hold {
	int fds[128];
	size_t n;
};
int nook_image_prepare(struct nook_spec *s, struct nook_image_hold *hold, struct nook_error *err);
void nook_image_release(struct nook_image_hold *hold);
