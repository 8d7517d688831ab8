"""A sentence parser built from assemblies, written as a brain.py program
(brainsim-specific: the import and the weight cap): the language-area model
of the assembly calculus, where words are fixed assemblies of an explicit
lexicon area LEX and syntax is which fibers are open when a word fires.

    python3 python/examples/sentence_parser.py "cats chase mice"
    python3 python/examples/sentence_parser.py --all          # every sentence below
    mpirun -np 3 python3 python/examples/sentence_parser.py   # the same readout

For each word the program opens the fibers and areas its category allows,
projects along every open fiber for `rounds` steps (LEX fixed to the word,
areas that LEX projects into erased first, the others fixed), then closes
what the category closes.  After the sentence, plasticity is switched off,
every area is unfixed, and the parse is read out from VERB: project VERB
into each area it was ever connected to, then that area into LEX, and ask
LEX which word's assembly fired (at least 70% of its k neurons).  The
readout is a list of (head, dependent, role) triples.

The grammar is a small subset of English: nouns, transitive and
intransitive verbs, determiners and adjectives.

The fibers are capped at 65535: LEX's beta = 1 doubles a weight every
round, and brain.py's float weights never saturate, but brainsim's Q16.16
weights would pass their maximum 65535.99998 in the 16th round, which
brainsim reports as an error on an uncapped fiber.
"""
import argparse
import sys

import brainsim.brain as brain

LEX, DET, SUBJ, OBJ, VERB, ADJ = "LEX", "DET", "SUBJ", "OBJ", "VERB", "ADJ"
AREAS = [LEX, DET, SUBJ, OBJ, VERB, ADJ]
PHRASE_AREAS = [SUBJ, OBJ, VERB, ADJ]      # with recurrence and strong LEX
READOUT = {VERB: [LEX, SUBJ, OBJ, ADJ], SUBJ: [LEX, DET, ADJ],
           OBJ: [LEX, DET, ADJ], ADJ: [LEX], DET: [LEX], LEX: []}

# A rule opens or closes (removes or adds a lock on) an area or a fiber;
# an area or fiber takes part only while it holds no lock.
OPEN, CLOSE = "open", "close"


def area_rule(action, area):
    return (action, (area,))


def fiber_rule(action, a, b):
    return (action, tuple(sorted((a, b))))


def noun():
    roles = [(LEX, SUBJ), (LEX, OBJ), (DET, SUBJ), (DET, OBJ),
             (ADJ, SUBJ), (ADJ, OBJ), (VERB, OBJ)]
    return {"before": [fiber_rule(OPEN, a, b) for a, b in roles],
            "after": [area_rule(CLOSE, DET), area_rule(CLOSE, ADJ)] +
                     [fiber_rule(CLOSE, a, b) for a, b in roles]}


def verb(transitive):
    after = [fiber_rule(CLOSE, LEX, VERB), area_rule(CLOSE, SUBJ)]
    if transitive:
        after.append(area_rule(OPEN, OBJ))
    return {"before": [fiber_rule(OPEN, LEX, VERB),
                       fiber_rule(OPEN, VERB, SUBJ)],
            "after": after}


def modifier(area):
    return {"before": [area_rule(OPEN, area), fiber_rule(OPEN, LEX, area)],
            "after": [fiber_rule(CLOSE, LEX, area)]}


WORDS = {"the": modifier(DET), "a": modifier(DET),
         "dogs": noun(), "cats": noun(), "mice": noun(), "people": noun(),
         "chase": verb(True), "love": verb(True), "bite": verb(True),
         "saw": verb(True), "run": verb(False), "fly": verb(False),
         "big": modifier(ADJ), "bad": modifier(ADJ)}
INDEX = {w: i for i, w in enumerate(WORDS)}

SENTENCES = {
    "cats chase mice": [("chase", "cats", SUBJ), ("chase", "mice", OBJ)],
    "dogs run": [("run", "dogs", SUBJ)],
    "the dogs love mice": [("dogs", "the", DET), ("love", "dogs", SUBJ),
                           ("love", "mice", OBJ)],
    "big cats bite people": [("bite", "cats", SUBJ), ("bite", "people", OBJ),
                             ("cats", "big", ADJ)],
}


class ParserBrain(brain.Brain):
    """A Brain with LEX (one k-assembly per word) and the phrase areas, and
    the locks of every area and fiber."""

    def __init__(self, p=0.1, n=10000, k=100, lex_k=20, beta=0.2,
                 lex_beta=1.0, recurrent_beta=0.05, inter_beta=0.5,
                 cap=65535.0, **kw):
        super().__init__(p, cap=cap, **kw)
        self.add_explicit_area(LEX, len(WORDS) * lex_k, lex_k, beta)
        for area in AREAS[1:]:
            self.add_area(area, n, lex_k if area == DET else k, beta)
        rules = {}
        for area in PHRASE_AREAS:
            rules.setdefault(LEX, []).append((area, lex_beta))
            rules.setdefault(area, []).append((LEX, lex_beta))
            rules[area].append((area, recurrent_beta))
            rules[area] += [(o, inter_beta) for o in PHRASE_AREAS if o != area]
        self.update_plasticities(area_update_map=rules)
        self.locks = {(a,): set() for a in AREAS}
        for a in AREAS:
            for b in AREAS:
                self.locks.setdefault(tuple(sorted((a, b))), {0})
        for a in [DET, OBJ, ADJ]:
            self.locks[(a,)].add(0)
        self.fired = {a: set() for a in AREAS}

    def apply(self, rules):
        for action, key in rules:
            (self.locks[key].discard if action == OPEN else
             self.locks[key].add)(0)

    def project_map(self):
        """Source -> sorted targets of every open fiber between open areas
        (a source must have winners; a target with winners also fires into
        itself).  Sorted, so that every rank takes the same steps."""
        out = {}
        open_areas = [a for a in AREAS if not self.locks[(a,)]]
        for a in open_areas:
            for b in open_areas:
                if (a == LEX and b == LEX) or self.locks[tuple(sorted((a, b)))]:
                    continue
                if self.area_by_name[a].winners:
                    out.setdefault(a, set()).add(b)
                if self.area_by_name[b].winners:
                    out.setdefault(b, set()).add(b)
        return {a: sorted(t) for a, t in sorted(out.items())}

    def word_of(self, area=LEX, min_overlap=0.7):
        """The word whose LEX assembly holds at least min_overlap of the
        area's winners, or None."""
        k = self.area_by_name[area].k
        winners = set(self.area_by_name[area].winners)
        for word, i in INDEX.items():
            if len(winners & set(range(i * k, i * k + k))) >= min_overlap * k:
                return word
        return None

    def read_word(self, word, rounds):
        self.activate(LEX, INDEX[word])
        self.apply(WORDS[word]["before"])
        pmap = self.project_map()
        for area in pmap:
            if area == LEX:
                continue
            if area in pmap.get(LEX, []):
                self.area_by_name[area].unfix_assembly()
                self.area_by_name[area].winners = []
            else:
                self.area_by_name[area].fix_assembly()
        for _ in range(rounds):
            pmap = self.project_map()
            for a, targets in pmap.items():
                self.fired[a].update(targets)
            self.project({}, pmap)
        self.apply(WORDS[word]["after"])

    def read_out(self):
        """The (head, dependent, role) triples, from VERB down."""
        self.disable_plasticity = True
        for area in AREAS:
            self.area_by_name[area].unfix_assembly()
        deps = []

        def visit(area):
            targets = sorted(t for t in self.fired[area] if t in READOUT[area])
            if not targets:
                return
            self.project({}, {area: targets})
            head = self.word_of(LEX)
            for t in targets:
                if t != LEX:
                    self.project({}, {t: [LEX]})
                    deps.append((head, self.word_of(LEX), t))
            for t in targets:
                if t != LEX:
                    visit(t)

        visit(VERB)
        return sorted(deps)


def parse(sentence, rounds=20, **kw):
    """The dependencies read out after parsing sentence."""
    b = ParserBrain(**kw)
    for word in sentence.split():
        if word not in WORDS:
            raise ValueError(f"{word!r} is not in the lexicon "
                             f"({', '.join(WORDS)})")
        b.read_word(word, rounds)
    deps = b.read_out()
    b.close()
    return deps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sentence", nargs="?", default="cats chase mice")
    ap.add_argument("--all", action="store_true",
                    help="parse every example sentence and check it")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--backend", default="auto")
    args = ap.parse_args()
    sentences = list(SENTENCES) if args.all else [args.sentence]
    ok = True
    for s in sentences:
        deps = parse(s, rounds=args.rounds, seed=args.seed,
                     backend=args.backend)
        want = SENTENCES.get(s)
        verdict = "" if want is None else (
            " PASS" if deps == sorted(want) else " FAIL")
        ok &= verdict != " FAIL"
        print(f"{s}: {deps}{verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
