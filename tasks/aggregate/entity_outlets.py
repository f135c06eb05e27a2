"""An entity's counts in an outlet's articles over every day (table ``entity_outlets``): ``entity_daily`` summed per
entity and outlet, what the catalog and the outlets' top entities add up.

The table is kept, so that a run takes the stored daily rows of the months it writes again out of it and adds their
new rows, reading those months rather than every day of the warehouse. Counts add up over months; first and last
days do not subtract. A stored first day that lies in a month written again, which the new rows of those months do
not reach again, may give way to a later day in the months carried over: for those few entities and outlets the
days are read again from every month. A rebuild, or a warehouse written before the table, sums every month."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tasks.aggregate import sql
from tasks.aggregate.months import Months
from tasks.schemas import ENTITY_DAILY, ENTITY_OUTLETS

if TYPE_CHECKING:
    from tasks.warehouse import Merged

KEY = ["entity_id", "outlet_id"]
SUMS = """select entity_id, outlet_id, cast(sum(mentions) as bigint) as mentions,
                 cast(sum(articles) as bigint) as articles, min(day) as first_day, max(day) as last_day
          from {} group by all"""
EVERY_SQL = f"{SUMS.format('entity_daily')} order by entity_id, outlet_id"
# The committed totals less the months written again (``replaced``: their stored rows) plus their new rows
# (``written``). A stored day stands for the months carried over unless it lies in the months written again (equal
# to their first or last day) and those months' new rows do not reach it: then ``unsure``.
UPDATE_SQL = f"""
with old as ({SUMS.format('replaced')}), new as ({SUMS.format('written')}),
kept as (
    select t.entity_id, t.outlet_id, t.mentions - coalesce(o.mentions, 0) as mentions,
           t.articles - coalesce(o.articles, 0) as articles,
           if(t.first_day is not distinct from o.first_day, null, t.first_day) as first_day,
           if(t.last_day is not distinct from o.last_day, null, t.last_day) as last_day,
           t.first_day is not distinct from o.first_day and o.first_day is not null as first_in_old,
           t.last_day is not distinct from o.last_day and o.last_day is not null as last_in_old,
           t.first_day as was_first, t.last_day as was_last
    from totals t left join old o using (entity_id, outlet_id)
)
select entity_id, outlet_id, cast(coalesce(k.mentions, 0) + coalesce(n.mentions, 0) as bigint) as mentions,
       cast(coalesce(k.articles, 0) + coalesce(n.articles, 0) as bigint) as articles,
       least(k.first_day, n.first_day) as first_day, greatest(k.last_day, n.last_day) as last_day,
       coalesce(k.mentions > 0 and (k.first_in_old and not coalesce(n.first_day <= k.was_first, false)
                                    or k.last_in_old and not coalesce(n.last_day >= k.was_last, false)), false)
           as unsure
from kept k full join new n using (entity_id, outlet_id)
where coalesce(k.mentions, 0) + coalesce(n.mentions, 0) > 0
order by entity_id, outlet_id
"""
DAYS_SQL = """
select u.entity_id, u.outlet_id, u.mentions, u.articles, if(u.unsure, d.first_day, u.first_day) as first_day,
       if(u.unsure, d.last_day, u.last_day) as last_day
from updated u left join (select entity_id, outlet_id, min(day) as first_day, max(day) as last_day
                          from entity_daily semi join unsure using (entity_id, outlet_id) group by all) d
     using (entity_id, outlet_id)
order by entity_id, outlet_id
"""


def write(merged: Merged, rewrite: Months) -> None:
    """``entity_outlets`` of the version, whose ``entity_daily`` is written again in the months ``rewrite`` names
    (None: every month) and carried in the others."""
    commit, base = merged.commit, merged.base
    daily = sql.Parquet(commit.urls("entity_daily"), ENTITY_DAILY)
    if rewrite is None or (not base.parts("entity_outlets") and base.parts("entity_daily")):
        with sql.connect(commit.sql_filesystem, entity_daily=daily) as con:
            commit.writer("entity_outlets").write_all(sql.stream(con, EVERY_SQL)).close()
        return
    stored, now = base.parts_by_month("entity_daily"), commit.parts_by_month("entity_daily")
    with sql.connect(commit.sql_filesystem,
                     totals=sql.Parquet(commit.urls("entity_outlets", base.parts("entity_outlets")), ENTITY_OUTLETS),
                     replaced=sql.Parquet(commit.urls("entity_daily", [p for m in rewrite for p in stored.get(m, [])]),
                                          ENTITY_DAILY),
                     written=sql.Parquet(commit.urls("entity_daily", [p for m in rewrite for p in now.get(m, [])]),
                                         ENTITY_DAILY)) as con:
        updated = con.sql(UPDATE_SQL).to_arrow_table()
    unsure = updated.filter(updated["unsure"]).select(KEY)
    if unsure.num_rows:
        with sql.connect(commit.sql_filesystem, entity_daily=daily, updated=updated, unsure=unsure) as con:
            updated = con.sql(DAYS_SQL).to_arrow_table()
    commit.write("entity_outlets", updated.select(ENTITY_OUTLETS.names).cast(ENTITY_OUTLETS))
