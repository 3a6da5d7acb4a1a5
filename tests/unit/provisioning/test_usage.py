from hydron.provisioning.usage import cpu_percent, disk_used_percent, memory_used_mib, parse_usage, probe_command
from hydron.remote.builders.probe import MARKER


def test_cpu_percent_is_the_busy_share_between_two_samples():
    first = "cpu  100 0 100 700 100 0 0 0 0 0"
    second = "cpu  150 0 150 800 100 0 0 0 0 0"  # +100 busy, +100 idle
    assert cpu_percent(first, second) == 50.0
    assert cpu_percent(first, first) is None
    assert cpu_percent("garbage", second) is None


def test_memory_used_is_total_minus_available():
    assert memory_used_mib("MemTotal:  8192000 kB\nMemAvailable:  6144000 kB\n") == 2000
    assert memory_used_mib("MemTotal: 1 kB") is None


def test_disk_used_percent_counts_reserved_blocks_as_the_kernel_does_for_users():
    df = "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 1000 450 450 50% /"
    assert disk_used_percent(df) == 50.0


def test_one_unprivileged_read():
    cmd = probe_command()
    assert not cmd.mutates and not cmd.privileged
    out = (
        f"{MARKER}stat1\ncpu  1 0 1 8 0 0 0 0 0 0\n{MARKER}stat2\ncpu  2 0 2 8 0 0 0 0 0 0\n"
        f"{MARKER}memory\nMemTotal: 2048000 kB\nMemAvailable: 1024000 kB\n"
        f"{MARKER}disk\nFilesystem 1024-blocks Used Available Capacity Mounted on\n/dev/root 100 10 90 10% /\n"
    )
    usage = parse_usage(out)
    assert (usage.cpu_percent, usage.memory_used_mib, usage.disk_used_percent) == (100.0, 1000, 10.0)


def exporter_text(idle: float, user: float, load1: float = 0.5) -> str:
    return "\n".join([
        f'node_cpu_seconds_total{{cpu="0",mode="idle"}} {idle}',
        f'node_cpu_seconds_total{{cpu="0",mode="user"}} {user}',
        'node_cpu_seconds_total{cpu="0",mode="iowait"} 0',
        "node_memory_MemTotal_bytes 4294967296",
        "node_memory_MemAvailable_bytes 1073741824",
        'node_filesystem_size_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 1000',
        'node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 80',
        'node_filesystem_size_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 10',
        f"node_load1 {load1}", "node_load5 0.25", "node_load15 0.125", "",
    ])


def test_the_node_exporter_answers_when_it_runs():
    out = (f"{MARKER}exporter1\n{exporter_text(100, 100)}{MARKER}exporter2\n{exporter_text(130, 110, 1.5)}"
           f"{MARKER}stat1\ncpu  1 0 1 8 0 0 0 0 0 0\n{MARKER}stat2\ncpu  2 0 2 8 0 0 0 0 0 0\n")
    usage = parse_usage(out)
    assert usage.source == "node-exporter"
    assert usage.cpu_percent == 25.0  # +10 busy of +40
    assert (usage.memory_used_mib, usage.memory_total_mib) == (3072, 4096)
    assert usage.disk_used_percent == 92.0  # the root filesystem, not /run
    assert usage.load == (1.5, 0.25, 0.125)


def test_proc_answers_what_the_exporter_cannot():
    """No exporter yet (before provisioning), or a root filesystem it skips (overlay)."""
    proc = (f"{MARKER}stat1\ncpu  1 0 1 8 0 0 0 0 0 0\n{MARKER}stat2\ncpu  2 0 2 8 0 0 0 0 0 0\n"
            f"{MARKER}memory\nMemTotal: 2048000 kB\nMemAvailable: 1024000 kB\n"
            f"{MARKER}disk\nFilesystem 1024-blocks Used Available Capacity Mounted on\n/dev/root 100 10 90 10% /\n")
    alone = parse_usage(f"{MARKER}exporter1\n{MARKER}exporter2\n" + proc)
    assert alone.source == "proc" and alone.load is None and alone.disk_used_percent == 10.0
    assert alone.memory_total_mib == 2000
    overlay = "\n".join(l for l in exporter_text(130, 110).splitlines() if "filesystem" not in l) + "\n"
    mixed = parse_usage(f"{MARKER}exporter1\n{overlay}{MARKER}exporter2\n{overlay}" + proc)
    assert mixed.source == "node-exporter" and mixed.disk_used_percent == 10.0 and mixed.memory_total_mib == 4096
