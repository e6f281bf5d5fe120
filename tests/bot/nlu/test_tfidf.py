"""bot/nlu/tfidf.py: the same matrix as scikit-learn's transform, for the classifier's two vectorizers."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.nlu.tfidf import FastTfidf

TRAINING = [
    "my bin wasn't collected", "the bins were not emptied on Mill Lane again", "pothole outside number 12",
    "street light flickering all night by the school", "fly tipping: a sofa and bags on the verge",
    "dydy'r bin ddim wedi cael ei gasglu", "mae twll mawr yn y ffordd", "graffiti on the bus shelter",
    "dog mess all over the pavement", "hi, third time this month the recycling was missed. thanks",
]
READ = [
    *TRAINING,
    "", "   ", "🙂🙂🙂", "words never seen before", "BIN BIN bin bin!!", "ŵ ŷ â ê î ô û", "x" * 5000,
    "tab\tand\nnewline between the bins", "a", "12 12 12 12",
]


@pytest.fixture(params=["words", "chars"])
def vectorizer(request: pytest.FixtureRequest) -> TfidfVectorizer:
    # As EncoderIntentClassifier.train fits them.
    if request.param == "words":
        return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True).fit(TRAINING)
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2).fit(TRAINING)


def test_the_same_matrix_as_scikit_learns(vectorizer: TfidfVectorizer) -> None:
    expected = vectorizer.transform(READ)
    got = FastTfidf(vectorizer).transform(READ)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got.toarray(), expected.toarray(), rtol=0, atol=1e-12)
    assert got.nnz == expected.nnz


def test_one_text_at_a_time_as_the_server_reads_them(vectorizer: TfidfVectorizer) -> None:
    fast = FastTfidf(vectorizer)
    for text in READ:
        np.testing.assert_allclose(fast.transform([text]).toarray(), vectorizer.transform([text]).toarray(),
                                   rtol=0, atol=1e-12)
    assert fast.transform([]).shape == (0, len(vectorizer.vocabulary_))


def test_a_vectorizer_it_does_not_reproduce_is_refused() -> None:
    with pytest.raises(ValueError):
        FastTfidf(TfidfVectorizer(norm="l1").fit(TRAINING))
    with pytest.raises(ValueError):
        FastTfidf(TfidfVectorizer(use_idf=False).fit(TRAINING))
