"""The words of ``xent explain``, in English and in Chinese (the article's language).

Both dictionaries have the same keys (a test checks it); the values are ``str.format``
templates. Chinese terms follow the article: 交叉熵, 熵, 标签, 预测, 损失, 概率分布.
"""

from __future__ import annotations

LANGUAGES = ("en", "zh")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "heading": "Why cross-entropy is the loss: label “{label}”",
        "prediction": "Prediction {n}: Q = {q}",
        "formula_title": "1. The formula",
        "formula_meaning": (
            "P is the true distribution (the label), Q the prediction. Each class adds "
            "P(i)·(−log Q(i)): the surprise −log Q(i), weighted by how much the label "
            "believes in class i."
        ),
        "substitute_title": "2. The numbers, one term per class",
        "vanishes": "vanishes: P = 0",
        "counts": "counts",
        "substitute_onehot": (
            "Every term with P(i) = 0 vanishes, whatever Q(i) is: with a one-hot label only "
            "the true class counts, so the loss is just −log Q({cls})."
        ),
        "substitute_some": (
            "Terms with P(i) = 0 vanish, whatever Q(i) is; the others are weighted by P(i)."
        ),
        "substitute_none": "No term vanishes: the label gives every class some probability.",
        "result_title": "3. The result",
        "result_meaning": (
            "This is the loss. It is 0 only when the prediction gives the true class "
            "probability 1, and it grows without limit as that probability falls to 0."
        ),
        "entropy_title": "4. The entropy of the label",
        "entropy_zero": (
            "A one-hot label is certain: it has no uncertainty, so its entropy is 0, the "
            "lowest loss any prediction can reach."
        ),
        "entropy_positive": (
            "The uncertainty in the label itself: no prediction can have a loss below it."
        ),
        "kl_title": "5. The KL divergence",
        "kl_meaning": (
            "The extra cost of predicting Q when the truth is P: the part of the loss that "
            "a better prediction can remove."
        ),
        "perplexity_title": "6. The perplexity",
        "perplexity_meaning": (
            "The prediction is as unsure as a fair choice among {value} classes; a perfect "
            "prediction has perplexity 1."
        ),
        "base_title": "7. The log base only rescales",
        "base_meaning": (
            "Another base divides every value by the same ln b, so which prediction is "
            "better, and where the minimum is, never change. Machine learning uses e (nats) "
            "because its derivatives are the simplest."
        ),
        "compare_title": "Comparing {n} predictions for the label “{label}”",
        "column_class": "class",
        "row_loss": "loss H(P,Q)",
        "row_fall": "fall from #1",
        "row_perplexity": "perplexity",
        "compare_fall": (
            "The more probability a prediction gives the true class, the lower the loss: "
            "from {first} to {last} {unit}, a fall of {fall} ({percent}). A perfect "
            "prediction reaches {floor}, the entropy of the label."
        ),
        "compare_rise": (
            "The last prediction gives the true class less probability, and the loss rose: "
            "from {first} to {last} {unit}."
        ),
        "unit_nats": "nats",
        "unit_bits": "bits",
        "unit_hartleys": "hartleys",
        "unit_other": "base-{base} units",
        "in_unit": "in {unit} (log base {base})",
    },
    "zh": {
        "heading": "为什么用交叉熵做损失函数:标签“{label}”",
        "prediction": "预测 {n}:Q = {q}",
        "formula_title": "1. 公式",
        "formula_meaning": (
            "P 是真实分布(标签),Q 是预测分布。每个类别贡献一项 P(i)·(−log Q(i)):"
            "预测的“意外程度” −log Q(i),按标签给这个类别的概率加权。"
        ),
        "substitute_title": "2. 代入数值,每个类别一项",
        "vanishes": "为零:P = 0",
        "counts": "保留",
        "substitute_onehot": (
            "凡是 P(i) = 0 的项,不论 Q(i) 是多少都等于零:对 one-hot 标签而言只有真实类别"
            "起作用,损失就是 −log Q({cls})。"
        ),
        "substitute_some": "P(i) = 0 的项不论 Q(i) 是多少都等于零,其余各项按 P(i) 加权。",
        "substitute_none": "没有一项为零:这个标签给每个类别都分配了概率。",
        "result_title": "3. 结果",
        "result_meaning": (
            "这就是损失(loss)。只有当预测给真实类别的概率为 1 时它才为 0;"
            "这个概率越接近 0,损失就越大,没有上限。"
        ),
        "entropy_title": "4. 标签的熵",
        "entropy_zero": (
            "one-hot 标签是完全确定的,没有不确定性,所以它的熵为零,"
            "这也是任何预测所能达到的最低损失。"
        ),
        "entropy_positive": "标签本身的不确定性:任何预测的损失都不会低于它。",
        "kl_title": "5. KL 散度",
        "kl_meaning": (
            "真实分布是 P 却用 Q 来预测所多付出的代价:也就是更好的预测能够消除的那部分损失。"
        ),
        "perplexity_title": "6. 困惑度",
        "perplexity_meaning": (
            "这个预测的不确定程度,相当于在 {value} 个类别中均匀地随机选一个;完美预测的困惑度为 1。"
        ),
        "base_title": "7. 对数的底只改变幅度",
        "base_meaning": (
            "换一个对数底,所有数值都除以同一个 ln b,所以哪个预测更好、最小值在哪里都不会改变。"
            "机器学习通常以 e 为底(nats),因为求导最简单。"
        ),
        "compare_title": "比较标签“{label}”的 {n} 个预测",
        "column_class": "类别",
        "row_loss": "损失 H(P,Q)",
        "row_fall": "比 #1 下降",
        "compare_fall": (
            "预测给真实类别的概率越高,损失越低:从 {first} 降到 {last} {unit},"
            "下降了 {fall}({percent})。完美的预测会降到 {floor},即标签的熵。"
        ),
        "compare_rise": (
            "最后一个预测给真实类别的概率更低,损失反而上升了:从 {first} 升到 {last} {unit}。"
        ),
        "unit_nats": "nats",
        "unit_bits": "bits",
        "unit_hartleys": "hartleys",
        "unit_other": "以 {base} 为底的单位",
        "in_unit": "单位 {unit},对数以 {base} 为底",
        "row_perplexity": "困惑度",
    },
}


def texts(lang: str) -> dict[str, str]:
    """The templates of ``lang`` (``en`` or ``zh``)."""
    return TEXT[lang]
