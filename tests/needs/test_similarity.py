"""Similar needs and challenges in a small world (the demo data: test_similarity_demo.py)."""

from marketplace.extensions import db as _db
from marketplace.needs import operations as ops
from marketplace.needs.conversion import convert_need
from marketplace.needs.similarity import similar_to
from tests.needs.conftest import need_values


def _restated(user, **overrides):
    values = need_values(
        title="菜市场智慧化升级：电子价签与食品安全溯源", domain="经济",
        problem="街道菜市场的菜价靠手写牌子，居民反映价格不透明，出了食品安全问题查不到是哪个摊位进的货。",
        scenario="在菜市场推广电子价签和联网电子秤，摊主进货登记上网，居民扫码看价格和来源。",
        keywords=["智慧菜场", "菜市场", "溯源"])
    values.update(overrides)
    need = ops.submit_need(user, values)
    _db.session.flush()
    return need


class TestSmallWorld:
    def test_the_restated_need_first_itself_never(self, submit, accepted, other_street, office):
        original = accepted()
        unrelated = submit(title="独居老人用水用电异常智能预警", domain="养老", keywords=["独居老人", "预警"],
                           problem="独居老人意外发现不及时。", scenario="智能水表电表异常告警。",
                           beneficiaries="独居老人", expected_outcomes="2 小时内上门。")
        new = _restated(other_street)
        items = similar_to(new)
        assert items[0]["type"] == "need" and items[0]["id"] == original.id
        assert new.id not in [i["id"] for i in items if i["type"] == "need"]
        ranked = [(i["type"], i["id"]) for i in items]
        assert ("need", unrelated.id) not in ranked[:1]
        scores = [i["score"] for i in items]
        assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)

    def test_a_converted_need_does_not_list_its_own_challenge(self, accepted, bureau):
        need = accepted()
        challenge = convert_need(bureau, need)
        _db.session.commit()
        assert ("challenge", challenge.id) not in [(i["type"], i["id"]) for i in similar_to(need)]
