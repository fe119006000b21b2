// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The container a cgroup path names (loader/container.c): the forms Docker, Podman, containerd,
 * CRI-O and the kubelet write under the systemd and cgroupfs drivers, each with its exact id,
 * and the paths of the host's own services, sessions and runtime daemons, which are nobody's. */
#include <string.h>
#include <CUnit/CUnit.h>

#include "loader/container.h"
#include "suites.h"

#define ID   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID  "0a1b2c3d-4e5f-6789-abcd-ef0123456789"
#define UID_ "0a1b2c3d_4e5f_6789_abcd_ef0123456789" /* the systemd driver's spelling */

static const struct {
	const char *path, *runtime, *id, *pod_uid, *name, *cgroup;
} named[] = {
	{"/system.slice/docker-" ID ".scope", "docker", ID, "", "",
	 "/system.slice/docker-" ID ".scope"},
	{"/docker/" ID, "docker", ID, "", "", "/docker/" ID},
	{"/machine.slice/libpod-" ID ".scope/container", "podman", ID, "", "",
	 "/machine.slice/libpod-" ID ".scope"},
	{"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope", "podman",
	 ID, "", "",
	 "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope"},
	{"/libpod_parent/libpod-" ID, "podman", ID, "", "", "/libpod_parent/libpod-" ID},
	{"/system.slice/nerdctl-" ID ".scope", "nerdctl", ID, "", "",
	 "/system.slice/nerdctl-" ID ".scope"},
	{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	 ".slice/cri-containerd-" ID ".scope",
	 "containerd", ID, UID, "",
	 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	 ".slice/cri-containerd-" ID ".scope"},
	{"/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" ID ".scope", "cri-o", ID, UID, "",
	 "/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" ID ".scope"},
	{"/kubepods/besteffort/pod" UID "/" ID, "kubernetes", ID, UID, "",
	 "/kubepods/besteffort/pod" UID "/" ID},
	{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice",
	 "kubernetes", "", UID, "",
	 "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice"},
	{"/lxc.payload.web1", "lxc", "", "", "web1", "/lxc.payload.web1"},
	{"/lxc.payload.web1/system.slice/sshd.service", "lxc", "", "", "web1", "/lxc.payload.web1"},
};

static const char *const nobody[] = {
	"/",
	"",
	"/init.scope",
	"/system.slice/docker.service",
	"/system.slice/containerd.service",
	"/system.slice/ssh.service",
	"/user.slice/user-1000.slice/session-3.scope",
	"/machine.slice/libpod-conmon-" ID ".scope",
	"/system.slice/crio-conmon-" ID ".scope",
	"/system.slice/docker-" ID "0.scope",	       /* 65 digits */
	"/system.slice/docker-0123456789abcdef.scope", /* a short id */
	"/system.slice/"
	"docker-0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef.scope",
	"/mydocker/" ID,			    /* not docker's */
	"/pod" UID "/" ID,			    /* not under kubepods */
	"/kubepods.slice/kubepods-burstable.slice", /* a QoS class */
	"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0a1b.slice",
	"/lxc.payload.",
};

WL_TEST(container, cgroup_paths_named)
{
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		struct wl_container c;
		int found = wl_container_parse_cgroup(named[i].path, &c);

		CU_ASSERT_EQUAL(found, 1);
		if (found != 1) {
			fprintf(stderr, "\nnot a container: %s\n", named[i].path);
			continue;
		}
		CU_ASSERT_STRING_EQUAL(c.runtime, named[i].runtime);
		CU_ASSERT_STRING_EQUAL(c.id, named[i].id);
		CU_ASSERT_STRING_EQUAL(c.pod_uid, named[i].pod_uid);
		CU_ASSERT_STRING_EQUAL(c.name, named[i].name);
		CU_ASSERT_STRING_EQUAL(c.cgroup, named[i].cgroup);
		CU_ASSERT_STRING_EQUAL(c.netns, "");
	}
}

WL_TEST(container, cgroup_paths_of_nobody)
{
	for (size_t i = 0; i < sizeof(nobody) / sizeof(nobody[0]); i++) {
		struct wl_container c;
		int found = wl_container_parse_cgroup(nobody[i], &c);

		CU_ASSERT_EQUAL(found, 0);
		if (found)
			fprintf(stderr, "\ntaken for a container (%s %s): %s\n", c.runtime, c.id,
				nobody[i]);
	}
}

/* The table's label: the name, else runtime:12 digits of the id, else the pod. */
WL_TEST(container, labels)
{
	struct wl_container c;
	char buf[200];

	CU_ASSERT_STRING_EQUAL(wl_container_label(NULL, buf, sizeof(buf)), "-");
	wl_container_parse_cgroup("/system.slice/docker-" ID ".scope", &c);
	CU_ASSERT_STRING_EQUAL(wl_container_label(&c, buf, sizeof(buf)), "docker:0123456789ab");
	strcpy(c.name, "web");
	CU_ASSERT_STRING_EQUAL(wl_container_label(&c, buf, sizeof(buf)), "web");
	wl_container_parse_cgroup("/kubepods/burstable/pod" UID, &c);
	CU_ASSERT_STRING_EQUAL(wl_container_label(&c, buf, sizeof(buf)), "pod:" UID);
}
