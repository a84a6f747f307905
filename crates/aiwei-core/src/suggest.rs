//! Suggestions while a clerk types a complaint: the likely sub-category and
//! lead department, learned from the matters this office has already
//! classified and dispatched, each with a confidence (R-3.1 asks for accurate
//! classification). This is the pure part: features, training, prediction,
//! evaluation and a model the store keeps as JSON; retraining on a command or
//! a schedule, and showing the suggestions, belong to the callers.
//!
//! No downloaded model or dictionary: a small multinomial naive Bayes over
//! the text's characters and adjacent character pairs. Search already cuts
//! text into single characters ([`crate::search::pieces`]); pairs add the
//! two-character words that carry a complaint's subject (垃圾, 老鼠, 蚊子)
//! without a segmenter's dictionary. Numbers are one feature whatever their
//! digits, so that 幸福路12号 and 幸福路13号 teach and suggest the same.
//!
//! Everything is deterministic: the same examples in the same order give
//! the same model, byte for byte as JSON, and the same suggestions.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::search::{Piece, pieces};

/// How a model is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Additive (Laplace) smoothing: how much a feature never seen with a
    /// label still counts for it. Not a positive finite number: 1.0.
    pub alpha: f64,
    /// Features seen fewer times than this in all examples are dropped.
    pub min_count: u32,
    /// At most this many features are kept, the most frequent first, which
    /// bounds the model's size whatever the history.
    pub max_features: Option<usize>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            alpha: 1.0,
            min_count: 1,
            max_features: Some(100_000),
        }
    }
}

/// A suggested label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion<L> {
    pub label: L,
    /// The model's probability of this label, in (0, 1]; over all of a
    /// model's labels they sum to 1.
    pub confidence: f64,
}

/// A trained classifier of texts into labels of type `L` (a sub-category
/// code, a department id).
///
/// Serialises as `{"alpha", "temperature", "labels": [{"label",
/// "examples", "tokens"}], "features": {"老鼠": [[label index, count], …]}}`;
/// deserialising refuses a model whose parts do not fit together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    try_from = "Unchecked<L>",
    bound(deserialize = "L: Ord + Deserialize<'de>")
)]
pub struct Model<L> {
    alpha: f64,
    /// Divides the log-scores before they become confidences; see
    /// [`calibrate`].
    temperature: f64,
    /// In label order, which is also the order ties are broken in.
    labels: Vec<LabelStats<L>>,
    /// Each feature's counts per label: (index into `labels`, count), by
    /// index, counts > 0 only. Feature-major so that a prediction visits
    /// only the rows of the features its text has.
    features: BTreeMap<String, Vec<(u32, u32)>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LabelStats<L> {
    label: L,
    /// Training examples with this label.
    examples: u32,
    /// Occurrences of kept features in them.
    tokens: u64,
}

/// The shape of a stored model, before [`Model`]'s invariants are checked.
#[derive(Deserialize)]
struct Unchecked<L> {
    alpha: f64,
    temperature: f64,
    labels: Vec<LabelStats<L>>,
    features: BTreeMap<String, Vec<(u32, u32)>>,
}

impl<L: Ord> TryFrom<Unchecked<L>> for Model<L> {
    type Error = &'static str;

    fn try_from(u: Unchecked<L>) -> Result<Self, Self::Error> {
        let positive = |x: f64| x.is_finite() && x > 0.0;
        if !positive(u.alpha) || !positive(u.temperature) {
            return Err("alpha and temperature must be positive");
        }
        if !u.labels.windows(2).all(|w| w[0].label < w[1].label) {
            return Err("labels must be sorted and distinct");
        }
        if u.labels.iter().any(|l| l.examples == 0) {
            return Err("every label needs an example");
        }
        let n = u.labels.len();
        let rows_fit = u.features.values().all(|row| {
            row.windows(2).all(|w| w[0].0 < w[1].0)
                && row.iter().all(|&(c, k)| (c as usize) < n && k > 0)
        });
        if !rows_fit {
            return Err("feature counts must name known labels in order");
        }
        Ok(Self {
            alpha: u.alpha,
            temperature: u.temperature,
            labels: u.labels,
            features: u.features,
        })
    }
}

/// A feature's counts per label: (index into the labels, count), by index,
/// counts > 0 only.
type Row = [(u32, u32)];

/// A text's known features with how often each occurs: the model's row for
/// it, and the occurrences.
type Bag<'m> = Vec<(&'m Row, u32)>;

impl<L: Ord + Clone> Model<L> {
    /// Learns from `examples`: (text, label), in any order, though the same
    /// order gives the identical model. Every example counts towards its
    /// label's prior, even one whose text has no feature.
    pub fn train<S: AsRef<str>>(examples: &[(S, L)], params: &Params) -> Self {
        let alpha = if params.alpha.is_finite() && params.alpha > 0.0 {
            params.alpha
        } else {
            Params::default().alpha
        };
        let mut labels: Vec<L> = examples.iter().map(|(_, l)| l.clone()).collect();
        labels.sort_unstable();
        labels.dedup();

        // Features are interned through a hash map for speed on a long
        // history; nothing below depends on its order.
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut names: Vec<String> = Vec::new();
        // Per feature id: (label index, count), few labels per feature.
        let mut counts: Vec<Vec<(u32, u32)>> = Vec::new();
        let mut examples_per_label = vec![0u32; labels.len()];
        for (text, label) in examples {
            let Ok(class) = labels.binary_search(label) else {
                continue;
            };
            examples_per_label[class] = examples_per_label[class].saturating_add(1);
            // Labels are fewer than examples, which a u32 counts.
            let class = u32::try_from(class).unwrap_or(u32::MAX);
            each_feature(text.as_ref(), |f| {
                let id = match ids.get(f) {
                    Some(&id) => id,
                    None => {
                        ids.insert(f.to_owned(), names.len());
                        names.push(f.to_owned());
                        counts.push(Vec::new());
                        names.len() - 1
                    }
                };
                let row = &mut counts[id];
                match row.iter_mut().find(|(c, _)| *c == class) {
                    Some((_, n)) => *n = n.saturating_add(1),
                    None => row.push((class, 1)),
                }
            });
        }

        let totals: Vec<u64> = counts
            .iter()
            .map(|row| row.iter().map(|&(_, n)| u64::from(n)).sum())
            .collect();
        let mut kept: Vec<usize> = (0..names.len())
            .filter(|&id| totals[id] >= u64::from(params.min_count))
            .collect();
        if let Some(max) = params.max_features
            && kept.len() > max
        {
            kept.sort_unstable_by(|&a, &b| totals[b].cmp(&totals[a]).then(names[a].cmp(&names[b])));
            kept.truncate(max);
        }
        let mut tokens = vec![0u64; labels.len()];
        let mut features = BTreeMap::new();
        for id in kept {
            let mut row = std::mem::take(&mut counts[id]);
            row.sort_unstable();
            for &(class, n) in &row {
                tokens[class as usize] += u64::from(n);
            }
            features.insert(std::mem::take(&mut names[id]), row);
        }

        let labels = labels
            .into_iter()
            .zip(examples_per_label)
            .zip(tokens)
            .map(|((label, examples), tokens)| LabelStats {
                label,
                examples,
                tokens,
            })
            .collect();
        let mut model = Self {
            alpha,
            temperature: 1.0,
            labels,
            features,
        };
        model.temperature = calibrate(&model, examples);
        model
    }

    /// Up to `k` labels for `text`, the most likely first (ties in label
    /// order). Empty when the text has no feature the model knows: a
    /// suggestion from the priors alone would be a guess dressed as advice.
    pub fn predict(&self, text: &str, k: usize) -> Vec<Suggestion<L>> {
        if k == 0 {
            return Vec::new();
        }
        let bag = self.bag(text);
        if bag.is_empty() {
            return Vec::new();
        }
        let scores = self.scores(&bag, None);
        let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let weights: Vec<f64> = scores
            .iter()
            .map(|s| ((s - top) / self.temperature).exp())
            .collect();
        let sum: f64 = weights.iter().sum();
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        order
            .into_iter()
            .map(|c| (c, weights[c] / sum))
            // So far below the best that it rounds to nothing.
            .filter(|&(_, confidence)| confidence > 0.0)
            .take(k)
            .map(|(c, confidence)| Suggestion {
                label: self.labels[c].label.clone(),
                confidence,
            })
            .collect()
    }
}

impl<L> Model<L> {
    /// How many examples the model learnt from.
    pub fn examples(&self) -> usize {
        self.labels.iter().map(|l| l.examples as usize).sum()
    }

    /// The labels it knows, in order, each with its number of examples.
    pub fn labels(&self) -> impl Iterator<Item = (&L, usize)> {
        self.labels.iter().map(|l| (&l.label, l.examples as usize))
    }

    /// How many features (characters, character pairs, words) it kept.
    pub fn features(&self) -> usize {
        self.features.len()
    }

    fn bag(&self, text: &str) -> Bag<'_> {
        let mut bag: BTreeMap<&str, (&Row, u32)> = BTreeMap::new();
        each_feature(text, |f| {
            if let Some((name, row)) = self.features.get_key_value(f) {
                bag.entry(name.as_str()).or_insert((row.as_slice(), 0)).1 += 1;
            }
        });
        bag.into_values().collect()
    }

    /// The log-score of each label (log prior plus log likelihood) for a
    /// bag of features. With `held_out`, the bag is one of the training
    /// examples of that label, and its own counts are taken back out first
    /// so that it is scored as if unseen.
    ///
    /// The likelihood of a feature never seen with a label is
    /// `alpha / (tokens + alpha * V)`; factoring that out of every feature
    /// leaves a sum over the bag's nonzero counts only.
    fn scores(&self, bag: &Bag<'_>, held_out: Option<usize>) -> Vec<f64> {
        let n: u32 = bag.iter().map(|&(_, k)| k).sum();
        let n_f = f64::from(n);
        let vocabulary = self.features.len() as f64;
        let out = usize::from(held_out.is_some());
        let all = (self.examples() - out) as f64;
        let mut scores: Vec<f64> = self
            .labels
            .iter()
            .enumerate()
            .map(|(c, l)| {
                let (examples, tokens) = if held_out == Some(c) {
                    (l.examples - 1, l.tokens.saturating_sub(u64::from(n)))
                } else {
                    (l.examples, l.tokens)
                };
                (f64::from(examples) / all).ln()
                    + n_f * (self.alpha.ln() - (tokens as f64 + self.alpha * vocabulary).ln())
            })
            .collect();
        for &(row, k) in bag {
            for &(c, count) in row {
                let c = c as usize;
                let count = if held_out == Some(c) {
                    count.saturating_sub(k)
                } else {
                    count
                };
                if let Some(s) = scores.get_mut(c) {
                    *s += f64::from(k) * (f64::from(count) / self.alpha).ln_1p();
                }
            }
        }
        scores
    }
}

/// The temperatures [`calibrate`] chooses from. Few decimals, so that a
/// model's JSON reads back to the very same number.
const TEMPERATURES: &[f64] = &[
    1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0, 25.0, 32.0, 40.0,
    50.0, 64.0, 80.0, 100.0,
];

/// At most this many training examples calibrate the confidence, which
/// bounds the training time on a long history.
const CALIBRATION_SAMPLE: usize = 2_000;

/// The temperature that makes the model's confidences honest.
///
/// Naive Bayes counts every feature as independent evidence, but a
/// character and the two pairs it is part of are one piece of evidence
/// counted three times, and a long text repeats its evidence many times
/// over; on a history of ordinary complaints raw posteriors sit at 0.999…
/// right or wrong, and a clerk would learn to ignore them. Dividing the log-scores by
/// a temperature keeps the ranking and spreads the confidence; the one
/// chosen best predicts (least log loss) an evenly spaced sample of the
/// training examples, each scored with its own counts left out.
fn calibrate<L: Ord, S: AsRef<str>>(model: &Model<L>, examples: &[(S, L)]) -> f64 {
    if model.labels.len() < 2 {
        return 1.0;
    }
    let step = examples.len().div_ceil(CALIBRATION_SAMPLE).max(1);
    let mut held: Vec<(Vec<f64>, usize)> = Vec::new();
    for (text, label) in examples.iter().step_by(step) {
        let Ok(c) = model.labels.binary_search_by(|l| l.label.cmp(label)) else {
            continue;
        };
        // Left out, its label would have no example left.
        if model.labels[c].examples < 2 {
            continue;
        }
        let bag = model.bag(text.as_ref());
        if !bag.is_empty() {
            held.push((model.scores(&bag, Some(c)), c));
        }
    }
    let log_loss = |t: f64| -> f64 {
        held.iter()
            .map(|(scores, c)| {
                let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = scores.iter().map(|s| ((s - top) / t).exp()).sum();
                sum.ln() - (scores[*c] - top) / t
            })
            .sum()
    };
    let mut best = (1.0, f64::INFINITY);
    for &t in TEMPERATURES {
        let loss = log_loss(t);
        if loss < best.1 {
            best = (t, loss);
        }
    }
    best.0
}

/// How well a model trained on the older history suggests for the newer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Examples trained on: the oldest.
    pub trained: usize,
    /// Examples tested: the newest.
    pub tested: usize,
    /// Tested examples whose label was the first suggestion.
    pub top1: usize,
    /// Tested examples whose label was among the first three.
    pub top3: usize,
}

impl Evaluation {
    /// The share of tested examples suggested right first; 0 with none.
    pub fn top1_rate(&self) -> f64 {
        rate(self.top1, self.tested)
    }

    /// The share of tested examples whose label was among the first three.
    pub fn top3_rate(&self) -> f64 {
        rate(self.top3, self.tested)
    }
}

fn rate(hits: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        hits as f64 / of as f64
    }
}

/// Trains on the oldest part of `history` (oldest first) and tests on the
/// newest `holdout` share of it (0.1: the most recent tenth), as the desk
/// would have suggested then. At least one example is tested and one
/// trained on when there are two or more. A tested example whose label the
/// training part never had, or whose text gives no suggestion, is a miss.
pub fn evaluate<S: AsRef<str>, L: Ord + Clone>(
    history: &[(S, L)],
    holdout: f64,
    params: &Params,
) -> Evaluation {
    let n = history.len();
    if n < 2 {
        return Evaluation {
            trained: n,
            ..Evaluation::default()
        };
    }
    // `as` saturates: NaN and negatives give 0, raised to 1 below.
    let tested = ((n as f64 * holdout).round() as usize).clamp(1, n - 1);
    let (train, test) = history.split_at(n - tested);
    let model = Model::train(train, params);
    let mut e = Evaluation {
        trained: train.len(),
        tested,
        ..Evaluation::default()
    };
    for (text, label) in test {
        let top = model.predict(text.as_ref(), 3);
        if top.first().is_some_and(|s| &s.label == label) {
            e.top1 += 1;
        }
        if top.iter().any(|s| &s.label == label) {
            e.top3 += 1;
        }
    }
    e
}

/// Calls `emit` with each feature of `text`, in order: for a run of CJK
/// characters, each character and each adjacent pair; for other letters
/// and digits, the run as one lower-cased word with each run of digits
/// written `#`. Punctuation and spaces end runs, as in search.
fn each_feature(text: &str, mut emit: impl FnMut(&str)) {
    fn flush(word: &mut String, emit: &mut impl FnMut(&str)) {
        if !word.is_empty() {
            emit(word);
            word.clear();
        }
    }
    let mut word = String::new();
    let mut pair = String::new();
    let mut previous: Option<char> = None;
    for piece in pieces(text) {
        let c = match piece {
            Piece::Token(c) => halfwidth(c),
            Piece::Boundary => {
                flush(&mut word, &mut emit);
                previous = None;
                continue;
            }
        };
        if is_cjk(c) {
            flush(&mut word, &mut emit);
            pair.clear();
            pair.push(c);
            emit(&pair);
            if let Some(p) = previous {
                pair.insert(0, p);
                emit(&pair);
            }
            previous = Some(c);
        } else {
            previous = None;
            if !c.is_numeric() {
                word.push(c);
            } else if !word.ends_with('#') {
                word.push('#');
            }
        }
    }
    flush(&mut word, &mut emit);
}

/// Full-width Latin letters and digits (typed with a Chinese input method)
/// as their ASCII twins, so that `ＰＭ` and `pm` are one word.
fn halfwidth(c: char) -> char {
    match c {
        '\u{FF10}'..='\u{FF5A}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Han characters, kana and hangul: scripts whose words are found as
/// character pairs rather than looked up in a dictionary.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{323AF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (content, sub-category, lead department), oldest first, the
    /// sub-categories interleaved as they arrive at a desk.
    const CORPUS: &[(&str, &str, &str)] = &[
        (
            "小区里老鼠很多，晚上经常看到老鼠在绿化带里跑",
            "vector.rodent",
            "BMFZ",
        ),
        ("小区绿化带积水严重，蚊子特别多", "vector.mosquito", "BMFZ"),
        (
            "垃圾清运不及时，小区门口垃圾堆成小山",
            "env.garbage",
            "HJWS",
        ),
        ("公共厕所无人打扫，异味很重", "env.toilet", "HJWS"),
        ("饭店后厨脏乱，厨师不戴口罩帽子", "hazard.kitchen", "SCJG"),
        ("办公室有人吸烟，多次劝阻无效", "hazard.smoking", "JKZX"),
        ("农贸市场苍蝇很多，肉摊上全是苍蝇", "vector.fly", "BMFZ"),
        (
            "垃圾房旁边发现好几个鼠洞，请派人灭鼠",
            "vector.rodent",
            "BMFZ",
        ),
        (
            "公园池塘边蚊虫滋生，晚上被咬得满身包",
            "vector.mosquito",
            "BMFZ",
        ),
        ("路边垃圾堆放好几天没人清理", "env.garbage", "HJWS"),
        ("公园里的公厕脏乱差，地上全是污水", "env.toilet", "HJWS"),
        (
            "外卖店的厨房卫生条件很差，餐具不消毒",
            "hazard.kitchen",
            "SCJG",
        ),
        ("网吧里很多人抽烟，烟味很大", "hazard.smoking", "JKZX"),
        ("垃圾站周围苍蝇成群，气味难闻", "vector.fly", "BMFZ"),
        (
            "菜市场后面老鼠成群，摊主的货物被咬坏",
            "vector.rodent",
            "BMFZ",
        ),
        (
            "工地上积水没人清理，孳生大量蚊子幼虫",
            "vector.mosquito",
            "BMFZ",
        ),
        ("垃圾桶满了溢出来，也没有人来收", "env.garbage", "HJWS"),
        ("公厕的冲水设施坏了好几天没人修", "env.toilet", "HJWS"),
        ("小吃店使用过期食材，吃完后肚子疼", "hazard.kitchen", "SCJG"),
        ("医院走廊有人吸烟，没有人管", "hazard.smoking", "JKZX"),
        ("小吃街苍蝇乱飞，食品没有防蝇措施", "vector.fly", "BMFZ"),
        (
            "家里厨房天花板上有老鼠跑动的声音，怀疑楼道有鼠窝",
            "vector.rodent",
            "BMFZ",
        ),
        (
            "楼顶水箱旁边有积水，孑孓很多，请喷洒药物",
            "vector.mosquito",
            "BMFZ",
        ),
        ("建筑垃圾随意倾倒在河边空地上", "env.garbage", "HJWS"),
        ("地铁站旁边的厕所没有洗手液也没有纸", "env.toilet", "HJWS"),
        (
            "餐馆后厨地面油污，食材直接放在地上",
            "hazard.kitchen",
            "SCJG",
        ),
        (
            "商场室内有人抽烟，禁烟标识形同虚设",
            "hazard.smoking",
            "JKZX",
        ),
        ("养鸡户的鸡粪堆放在路边，招来大量苍蝇", "vector.fly", "BMFZ"),
        (
            "小区地下车库有大老鼠出没，电线被老鼠咬断",
            "vector.rodent",
            "BMFZ",
        ),
        (
            "废旧轮胎堆放在路边，里面积水生蚊子",
            "vector.mosquito",
            "BMFZ",
        ),
        ("垃圾分类点脏乱，垃圾桶破损没人更换", "env.garbage", "HJWS"),
        ("景区公厕排队时间太长，数量不够", "env.toilet", "HJWS"),
        (
            "学校门口的早餐店卫生堪忧，从业人员没有健康证",
            "hazard.kitchen",
            "SCJG",
        ),
        ("餐厅包间里客人吸烟，服务员不制止", "hazard.smoking", "JKZX"),
        ("楼下餐馆泔水桶不盖盖子，苍蝇到处飞", "vector.fly", "BMFZ"),
        (
            "学校食堂附近发现老鼠，担心影响学生健康",
            "vector.rodent",
            "BMFZ",
        ),
        (
            "天气热了蚊子多，希望对小区开展灭蚊消杀",
            "vector.mosquito",
            "BMFZ",
        ),
        (
            "街道两边生活垃圾乱扔，环卫工人很少来清扫",
            "env.garbage",
            "HJWS",
        ),
        ("菜市场公厕臭气熏天，保洁员不见人", "env.toilet", "HJWS"),
        (
            "火锅店疑似使用地沟油，后厨环境恶劣",
            "hazard.kitchen",
            "SCJG",
        ),
        ("公交站台有人抽烟，烟头乱扔", "hazard.smoking", "JKZX"),
        ("水果摊腐烂水果没人处理，苍蝇蚊虫多", "vector.fly", "BMFZ"),
        (
            "河边步道老鼠乱窜，晚上散步的人都被吓到",
            "vector.rodent",
            "BMFZ",
        ),
        (
            "地下室长期积水，蚊虫成群飞到楼道里",
            "vector.mosquito",
            "BMFZ",
        ),
        (
            "垃圾车每天凌晨收垃圾噪音大而且洒落一地",
            "env.garbage",
            "HJWS",
        ),
        ("公共卫生间门锁坏了，便池堵塞", "env.toilet", "HJWS"),
        (
            "饭店的餐具消毒柜一直没用，碗筷上有油渍",
            "hazard.kitchen",
            "SCJG",
        ),
        (
            "写字楼电梯里有烟味，楼道里有人吸烟",
            "hazard.smoking",
            "JKZX",
        ),
        (
            "楼下饭店的老鼠跑到居民楼里，希望投放鼠药",
            "vector.rodent",
            "BMFZ",
        ),
        (
            "花盆和废弃容器积水，邻居家门口蚊子乱飞",
            "vector.mosquito",
            "BMFZ",
        ),
        ("小区楼道堆满杂物和垃圾，物业不管", "env.garbage", "HJWS"),
    ];

    fn categories() -> Vec<(&'static str, String)> {
        CORPUS
            .iter()
            .map(|&(text, cat, _)| (text, cat.to_owned()))
            .collect()
    }

    fn model() -> Model<String> {
        Model::train(&categories(), &Params::default())
    }

    fn features(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        each_feature(text, |f| out.push(f.to_owned()));
        out
    }

    fn top(model: &Model<String>, text: &str) -> Option<String> {
        model.predict(text, 1).into_iter().next().map(|s| s.label)
    }

    #[test]
    fn features_are_characters_pairs_and_words_with_numbers_as_one() {
        assert_eq!(
            features("老鼠多，PM2.5超标 幸福路12号"),
            [
                "老", "鼠", "老鼠", "多", "鼠多", "pm#", "#", "超", "标", "超标", "幸", "福",
                "幸福", "路", "福路", "#", "号"
            ]
        );
        // Full-width letters and digits are the ASCII ones.
        assert_eq!(features("ＰＭ２．５"), ["pm#", "#"]);
        assert!(features(" ，。！ ").is_empty());
    }

    #[test]
    fn clear_unseen_complaints_get_the_right_sub_category_first() {
        let m = model();
        for (text, want) in [
            ("幸福路12号小区垃圾桶旁边老鼠乱窜", "vector.rodent"),
            ("小区里积水太多，蚊子成群", "vector.mosquito"),
            ("饭店厨房很脏，餐具没有消毒", "hazard.kitchen"),
            ("会议室里经常有人抽烟", "hazard.smoking"),
            ("公厕没有人打扫，很臭", "env.toilet"),
            ("路边的垃圾好几天没人清运", "env.garbage"),
            ("市场肉摊苍蝇乱飞", "vector.fly"),
        ] {
            assert_eq!(top(&m, text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn departments_are_learnt_the_same_way_with_any_label_type() {
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
        struct Dept(&'static str);
        let examples: Vec<(&str, Dept)> = CORPUS.iter().map(|&(t, _, d)| (t, Dept(d))).collect();
        let m = Model::train(&examples, &Params::default());
        assert_eq!(m.predict("楼道里老鼠乱窜", 1)[0].label, Dept("BMFZ"));
        assert_eq!(m.predict("餐馆后厨很脏", 1)[0].label, Dept("SCJG"));
        assert_eq!(
            m.labels().map(|(d, n)| (d.0, n)).collect::<Vec<_>>(),
            [("BMFZ", 22), ("HJWS", 15), ("JKZX", 7), ("SCJG", 7)]
        );
    }

    #[test]
    fn suggestions_are_sorted_confidences_limited_to_k() {
        let m = model();
        let all = m.predict("小区垃圾桶旁边老鼠乱窜，还有很多苍蝇", 100);
        assert_eq!(all.len(), 7, "every label, none underflowing here");
        assert!(
            all.iter()
                .all(|s| s.confidence > 0.0 && s.confidence <= 1.0)
        );
        assert!(all.windows(2).all(|w| w[0].confidence >= w[1].confidence));
        let sum: f64 = all.iter().map(|s| s.confidence).sum();
        assert!((sum - 1.0).abs() < 1e-9, "{sum}");
        let three = m.predict("小区垃圾桶旁边老鼠乱窜，还有很多苍蝇", 3);
        assert_eq!(three, all[..3]);
        assert!(m.predict("老鼠", 0).is_empty());
    }

    #[test]
    fn confidence_is_calibrated_on_held_out_examples() {
        // Short, clean texts: raw naive Bayes already predicts its own
        // held-out examples about as confidently as it should.
        let m = model();
        assert_eq!(m.temperature, 1.0);
        // Each text joined to one of another sub-category, labelled by the
        // first: long, half-misleading texts, on which raw naive Bayes is
        // sure of everything, right or wrong.
        let mixed: Vec<(String, String)> = CORPUS
            .iter()
            .enumerate()
            .map(|(i, &(text, cat, _))| {
                let other = CORPUS[(i + 3) % CORPUS.len()].0;
                (format!("{text}，{other}"), cat.to_owned())
            })
            .collect();
        let mut m = Model::train(&mixed, &Params::default());
        assert!(m.temperature > 1.0, "{}", m.temperature);
        let clear = "小区里老鼠很多，到处是鼠洞";
        let unclear = "垃圾桶旁边有老鼠也有苍蝇";
        let calibrated = (m.predict(clear, 1), m.predict(unclear, 1));
        assert!(calibrated.0[0].confidence > calibrated.1[0].confidence);
        assert!(calibrated.1[0].confidence < 0.9, "{calibrated:?}");
        // Same ranking, and the raw model would have claimed more.
        let t = std::mem::replace(&mut m.temperature, 1.0);
        let raw = (m.predict(clear, 7), m.predict(unclear, 7));
        m.temperature = t;
        for (raw, text) in [(raw.0, clear), (raw.1, unclear)] {
            let calibrated = m.predict(text, 7);
            let labels =
                |s: &[Suggestion<String>]| s.iter().map(|s| s.label.clone()).collect::<Vec<_>>();
            assert_eq!(labels(&raw), labels(&calibrated));
            assert!(raw[0].confidence > calibrated[0].confidence, "{text}");
        }
    }

    #[test]
    fn text_without_a_known_feature_gets_no_suggestion() {
        let m = model();
        assert!(m.predict("", 3).is_empty());
        assert!(m.predict("，。！？ ...", 3).is_empty());
        assert!(m.predict("xyz 譬喻", 3).is_empty());
        let empty: Model<String> = Model::train(&[] as &[(&str, String)], &Params::default());
        assert!(empty.predict("老鼠", 3).is_empty());
        assert_eq!((empty.examples(), empty.features()), (0, 0));
    }

    #[test]
    fn house_numbers_do_not_change_the_suggestion() {
        let m = model();
        assert_eq!(
            m.predict("幸福路12号小区垃圾桶旁边老鼠乱窜", 7),
            m.predict("幸福路13号小区垃圾桶旁边老鼠乱窜", 7)
        );
        assert_eq!(
            m.predict("幸福路12号小区垃圾桶旁边老鼠乱窜", 7),
            m.predict("幸福路1024号小区垃圾桶旁边老鼠乱窜", 7)
        );
        // Training on numbers that differ gives the same model too.
        let a = Model::train(
            &[("3号楼老鼠", "r"), ("5号楼垃圾", "g")],
            &Params::default(),
        );
        let b = Model::train(
            &[("4号楼老鼠", "r"), ("77号楼垃圾", "g")],
            &Params::default(),
        );
        assert_eq!(a, b);
    }

    #[test]
    fn training_is_deterministic_and_survives_json() {
        let a = serde_json::to_string(&model()).unwrap();
        let b = serde_json::to_string(&model()).unwrap();
        assert_eq!(a, b);
        let back: Model<String> = serde_json::from_str(&a).unwrap();
        assert_eq!(back, model());
        for text in ["幸福路12号小区垃圾桶旁边老鼠乱窜", "公厕很臭", "有人抽烟"]
        {
            assert_eq!(back.predict(text, 7), model().predict(text, 7));
        }
        assert_eq!(back.examples(), CORPUS.len());
    }

    #[test]
    fn a_stored_model_that_does_not_fit_together_is_refused() {
        let good = serde_json::to_value(model()).unwrap();
        let broken = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut v = good.clone();
            edit(&mut v);
            serde_json::from_value::<Model<String>>(v).is_err()
        };
        assert!(!broken(&|_| {}));
        assert!(broken(&|v| v["alpha"] = 0.0.into()));
        assert!(broken(&|v| v["temperature"] = (-1.0).into()));
        assert!(broken(&|v| v["labels"][0]["examples"] = 0.into()));
        assert!(broken(&|v| v["labels"].as_array_mut().unwrap().reverse()));
        assert!(broken(
            &|v| v["features"]["老鼠"] = serde_json::json!([[99, 1]])
        ));
        assert!(broken(
            &|v| v["features"]["老鼠"] = serde_json::json!([[1, 1], [0, 1]])
        ));
    }

    #[test]
    fn rare_features_can_be_dropped_and_the_vocabulary_capped() {
        let all = model();
        let common = Model::train(
            &categories(),
            &Params {
                min_count: 3,
                ..Params::default()
            },
        );
        assert!(common.features() < all.features());
        let capped = Model::train(
            &categories(),
            &Params {
                max_features: Some(20),
                ..Params::default()
            },
        );
        assert_eq!(capped.features(), 20);
        // The most frequent survive.
        assert!(capped.features.contains_key("垃圾"));
        assert_eq!(top(&capped, "垃圾没人清理").as_deref(), Some("env.garbage"));
        // A bad alpha falls back to the default rather than breaking scores.
        let odd = Model::train(
            &categories(),
            &Params {
                alpha: f64::NAN,
                ..Params::default()
            },
        );
        assert_eq!(odd, all);
    }

    #[test]
    fn evaluation_trains_on_the_oldest_and_tests_the_newest() {
        let labelled = |labels: &[&'static str]| -> Vec<(String, &'static str)> {
            labels
                .iter()
                .map(|&l| {
                    let text = if l == "r" {
                        "老鼠很多"
                    } else {
                        "垃圾很多"
                    };
                    (text.to_owned(), l)
                })
                .collect()
        };
        let history = labelled(&["r", "g", "r", "g", "r", "g", "r", "g", "r", "g"]);
        let e = evaluate(&history, 0.1, &Params::default());
        assert_eq!((e.trained, e.tested, e.top1, e.top3), (9, 1, 1, 1));
        assert_eq!((e.top1_rate(), e.top3_rate()), (1.0, 1.0));

        // The newest is the one tested: here its label was never trained on.
        let mut history = labelled(&["r", "g", "r", "g", "r", "g", "r", "g", "r"]);
        history.push(("老鼠很多".to_owned(), "new"));
        let e = evaluate(&history, 0.1, &Params::default());
        assert_eq!((e.trained, e.tested, e.top1, e.top3), (9, 1, 0, 0));

        // Two make one of each; one or none test nothing.
        let e = evaluate(&history[..2], 0.1, &Params::default());
        assert_eq!((e.trained, e.tested), (1, 1));
        let e = evaluate(&history[..1], 0.1, &Params::default());
        assert_eq!((e.trained, e.tested, e.top1_rate()), (1, 0, 0.0));
        // Odd holdouts still leave one on each side.
        for h in [0.0, -1.0, f64::NAN, 1.0, 7.0] {
            let e = evaluate(&history, h, &Params::default());
            assert!(e.trained >= 1 && e.tested >= 1, "{h}: {e:?}");
            assert_eq!(e.trained + e.tested, 10);
        }
        assert_eq!(evaluate(&history, 0.25, &Params::default()).tested, 3);
    }

    #[test]
    fn the_corpus_is_suggested_plausibly() {
        let e = evaluate(&categories(), 0.1, &Params::default());
        assert_eq!((e.trained, e.tested), (46, 5));
        assert!(e.top3 >= e.top1);
        for r in [e.top1_rate(), e.top3_rate()] {
            assert!((0.0..=1.0).contains(&r), "{r}");
        }
        assert!(e.top1_rate() >= 0.6, "{e:?}");
        assert!(e.top3_rate() >= 0.8, "{e:?}");
    }

    #[test]
    fn a_long_text_is_predicted_quickly() {
        let m = model();
        let text = "小区垃圾桶旁边老鼠乱窜，幸福路12号。".repeat(300);
        assert!(text.chars().count() >= 5_000);
        let start = std::time::Instant::now();
        let s = m.predict(&text, 3);
        assert_eq!(s[0].label, "vector.rodent");
        assert!(start.elapsed().as_millis() < 500, "{:?}", start.elapsed());
    }
}
