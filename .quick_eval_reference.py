"""Quick look: current model vs char TF-IDF+LR baseline on the new held-out sets."""
import asyncio, re, sys, yaml, json
from pathlib import Path
sys.path.insert(0, "/work/main")
from rasa.shared.nlu.training_data.loading import load_data
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

def load(path):
    d = yaml.safe_load(open(path))
    out = []
    for block in d["nlu"]:
        if "intent" not in block: continue
        for line in block["examples"].splitlines():
            line = line.strip()
            if not line.startswith("- "): continue
            text = re.sub(r"\s+#.*$", "", line[2:]).strip()
            out.append((text, block["intent"].split("/")[0]))
    return out

train = load_data("/work/main/data/nlu.yml")
X = [m.get("text") for m in train.intent_examples]
y = [m.get("intent").split("/")[0] if "/" in (m.get("intent") or "") else m.get("intent") for m in train.intent_examples]
vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
clf = LogisticRegression(max_iter=2000, C=10).fit(vec.fit_transform(X), y)

async def main():
    from rasa.core.agent import Agent
    import bot.nlu.components  # noqa
    agent = Agent.load("/work/main/models/ppa.tar.gz")
    res = {}
    for name in ["tests/nlu_test.yml", "tests/nlu_heldout_noisy.yml", "tests/nlu_offtopic.yml"]:
        data = load("/work/main/" + name)
        texts = [t for t, _ in data]; gold = [g for _, g in data]
        base = list(clf.predict(vec.transform(texts)))
        ours = []
        for t in texts:
            r = await agent.parse_message(t)
            i = r["intent"]["name"]
            ours.append("out_of_scope" if i == "nlu_fallback" else i)
        labels = sorted(set(gold))
        f_o = f1_score(gold, ours, labels=labels, average="macro"); f_b = f1_score(gold, base, labels=labels, average="macro")
        acc_o = sum(a == b for a, b in zip(gold, ours)) / len(gold); acc_b = sum(a == b for a, b in zip(gold, base)) / len(gold)
        from collections import Counter
        res[name] = dict(n=len(gold), ours_f1=round(f_o, 3), base_f1=round(f_b, 3), ours_acc=round(acc_o, 3), base_acc=round(acc_b, 3),
                         miss=Counter(f"{g}->{o}" for g, o in zip(gold, ours) if g != o).most_common(12))
    print(json.dumps(res, ensure_ascii=False, indent=1))
asyncio.run(main())
