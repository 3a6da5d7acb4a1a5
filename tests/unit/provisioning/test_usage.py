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
