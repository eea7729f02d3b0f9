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
        "batch_heading": "The batch {source}: {rows} rows",
        "batch_loss_title": "1. The loss of the batch",
        "batch_loss_meaning": (
            "Each row's loss is the cross-entropy of its prediction against its label; the "
            "batch's loss is their mean, the number training minimises."
        ),
        "calibration_title": "{number}Calibration: the expected calibration error (ECE)",
        "calibration_of": (
            "{bins} equal-width bins of the confidence, (low, high], the first holds 0; N = {rows}"
        ),
        "column_bin": "bin",
        "column_rows": "n_b",
        "column_confidence": "confidence",
        "column_accuracy": "accuracy",
        "column_gap": "gap",
        "column_term": "n_b/N · |gap|",
        "calibration_meaning": (
            "The confidence is a prediction's top probability, the accuracy how often that "
            "top class is the label. A calibrated model is right as often as it is "
            "confident: of the predictions made with 80% confidence, 80% are right. ECE "
            "puts the predictions into bins by "
            "their confidence, takes each bin's gap between accuracy and mean confidence, "
            "and adds the gaps weighted by the bins' shares of the rows: 0 is perfectly "
            "calibrated, and the log base does not change it."
        ),
        "calibration_over": (
            "The largest gap is in the bin {bin}: accuracy {accuracy} against confidence "
            "{confidence}, over-confident (the predictions are surer than they are right)."
        ),
        "calibration_under": (
            "The largest gap is in the bin {bin}: accuracy {accuracy} against confidence "
            "{confidence}, under-confident (right more often than they claim)."
        ),
        "calibration_perfect": "Every bin's accuracy equals its confidence: perfectly calibrated.",
        "calibration_few": (
            "With {rows} rows each bin holds few predictions: the ECE is a rough estimate "
            "(xent compute --reliability gives each bin's 95% interval)."
        ),
        "alternatives_title": "Calibration: no ECE for alternative predictions",
        "column_prediction": "prediction",
        "column_top": "top class",
        "column_right": "right",
        "right_yes": "yes",
        "right_no": "no",
        "alternatives_meaning": (
            "The confidence is a prediction's top probability. Calibration is a property of "
            "many samples: of the predictions made with 80% confidence, are 80% right? These "
            "are alternative predictions for one sample, not a batch of samples, so no "
            "expected calibration error (ECE) is computed over them. For an ECE, explain a "
            "file of many samples: xent explain --file preds.csv."
        ),
        # The note of a run that names no classes (readers.arguments.ARTICLE_NOTE).
        "article_note": "classes: the article's dog, fox, horse, eagle, squirrel (see --classes)",
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
        "batch_heading": "批量预测 {source}:{rows} 个样本",
        "batch_loss_title": "1. 这批预测的损失",
        "batch_loss_meaning": (
            "每个样本的损失是它的预测与标签之间的交叉熵;整批的损失是它们的平均值,"
            "也就是训练时要最小化的那个数。"
        ),
        "calibration_title": "{number}校准:期望校准误差(ECE)",
        "calibration_of": "按置信度分成 {bins} 个等宽区间 (low, high],第一个区间包含 0;N = {rows}",
        "column_bin": "区间",
        "column_rows": "n_b",
        "column_confidence": "置信度",
        "column_accuracy": "准确率",
        "column_gap": "差距",
        "column_term": "n_b/N · |差距|",
        "calibration_meaning": (
            "置信度是预测中最大的那个概率,准确率是这个类别恰好是标签的比例。"
            "校准良好的模型,有多大的把握就有多高的准确率:以 80% 的置信度做出的预测,"
            "应该有 80% 是对的。ECE 按置信度把预测分进若干个区间,算出每个区间里准确率与"
            "平均置信度之差,再按各区间的样本占比加权求和:ECE 为 0 表示完全校准,"
            "换对数的底也不会改变它。"
        ),
        "calibration_over": (
            "差距最大的是区间 {bin}:准确率 {accuracy},平均置信度 {confidence},"
            "模型过于自信(预测的把握比实际的准确率高)。"
        ),
        "calibration_under": (
            "差距最大的是区间 {bin}:准确率 {accuracy},平均置信度 {confidence},"
            "模型不够自信(实际的准确率比预测的把握高)。"
        ),
        "calibration_perfect": "每个区间的准确率都等于它的平均置信度:完全校准。",
        "calibration_few": (
            "只有 {rows} 个样本,每个区间里的预测很少:这个 ECE 只是粗略的估计"
            "(xent compute --reliability 给出每个区间的 95% 置信区间)。"
        ),
        "alternatives_title": "校准:备选预测不计算 ECE",
        "column_prediction": "预测",
        "column_top": "最可能的类别",
        "column_right": "是否正确",
        "right_yes": "是",
        "right_no": "否",
        "alternatives_meaning": (
            "置信度是预测中最大的那个概率。校准是许多样本的性质:以 80% 的置信度做出的预测,"
            "是否有 80% 是对的?这里是同一个样本的几个备选预测,不是一批样本,"
            "所以不对它们计算期望校准误差(ECE)。要计算 ECE,请解释一个包含许多样本的文件:"
            "xent explain --file preds.csv。"
        ),
        "article_note": "类别:文章中的 dog、fox、horse、eagle、squirrel(见 --classes)",
    },
}


def texts(lang: str) -> dict[str, str]:
    """The templates of ``lang`` (``en`` or ``zh``)."""
    return TEXT[lang]
