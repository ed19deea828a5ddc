/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libarchive.h - libarchive, loaded with dlopen when a layer is unpacked
 * or an archive imported (libarchive.c): linked, it would pull libxml2,
 * ICU and libstdc++ into every nook start. Include this instead of
 * <archive.h>: the calls below go through the loaded functions. */
#pragma once
#include <archive.h>
#include <archive_entry.h>
#include "nook/error.h"

#define NOOK_LA_FUNCS(X) \
	X(archive_read_new) X(archive_read_free) X(archive_read_support_filter_all) \
	X(archive_read_support_format_tar) X(archive_read_support_format_gnutar) \
	X(archive_read_open_filename) X(archive_read_next_header) X(archive_read_data_block) \
	X(archive_error_string) X(archive_write_disk_new) X(archive_write_disk_set_options) \
	X(archive_write_header) X(archive_write_data_block) X(archive_write_finish_entry) \
	X(archive_write_close) X(archive_write_free) X(archive_entry_pathname) \
	X(archive_entry_filetype) X(archive_entry_rdev) X(archive_entry_hardlink) \
	X(archive_entry_copy_hardlink) X(archive_entry_size_is_set) X(archive_entry_size) \
	X(archive_entry_copy_pathname)

struct nook_la {
#define NOOK_LA_FIELD(f) __typeof__(f) *f;
	NOOK_LA_FUNCS(NOOK_LA_FIELD)
#undef NOOK_LA_FIELD
};
extern struct nook_la nook_la;

/* Load libarchive once; 0, or -errno with a message saying what to install. */
int nook_la_load(struct nook_error *err);

#ifndef NOOK_LA_IMPL
#define archive_read_new nook_la.archive_read_new
#define archive_read_free nook_la.archive_read_free
#define archive_read_support_filter_all nook_la.archive_read_support_filter_all
#define archive_read_support_format_tar nook_la.archive_read_support_format_tar
#define archive_read_support_format_gnutar nook_la.archive_read_support_format_gnutar
#define archive_read_open_filename nook_la.archive_read_open_filename
#define archive_read_next_header nook_la.archive_read_next_header
#define archive_read_data_block nook_la.archive_read_data_block
#define archive_error_string nook_la.archive_error_string
#define archive_write_disk_new nook_la.archive_write_disk_new
#define archive_write_disk_set_options nook_la.archive_write_disk_set_options
#define archive_write_header nook_la.archive_write_header
#define archive_write_data_block nook_la.archive_write_data_block
#define archive_write_finish_entry nook_la.archive_write_finish_entry
#define archive_write_close nook_la.archive_write_close
#define archive_write_free nook_la.archive_write_free
#define archive_entry_pathname nook_la.archive_entry_pathname
#define archive_entry_filetype nook_la.archive_entry_filetype
#define archive_entry_rdev nook_la.archive_entry_rdev
#define archive_entry_hardlink nook_la.archive_entry_hardlink
#define archive_entry_copy_hardlink nook_la.archive_entry_copy_hardlink
#define archive_entry_size_is_set nook_la.archive_entry_size_is_set
#define archive_entry_size nook_la.archive_entry_size
#define archive_entry_copy_pathname nook_la.archive_entry_copy_pathname
#endif
