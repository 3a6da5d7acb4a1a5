"""Per-object locks serialise passes of one object and leave nothing behind: a table
keyed by every object ever handled grows with objects created and deleted."""

from __future__ import annotations

import asyncio

from hydron.locks import ObjectLocks


async def test_a_second_pass_waits_and_the_table_is_empty_once_both_are_done():
    locks = ObjectLocks()
    order: list[str] = []
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def first():
        async with locks.hold("Application/ns/a"):
            first_in.set()
            await release.wait()
            order.append("first")

    async def second():
        await first_in.wait()
        assert locks.locked("Application/ns/a")
        async with locks.hold("Application/ns/a"):
            order.append("second")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await first_in.wait()
    assert not locks.locked("Application/ns/b")  # other objects do not wait
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["first", "second"]
    assert len(locks) == 0 and not locks.locked("Application/ns/a")


async def test_a_failed_pass_lets_go_of_its_entry():
    locks = ObjectLocks()
    try:
        async with locks.hold("Server/ns/s"):
            raise RuntimeError("the pass failed")
    except RuntimeError:
        pass
    assert list(locks) == []
