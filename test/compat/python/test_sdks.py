"""The official Python SDKs (openai, anthropic) against a real gateway.

Run by test/compat/python-sdks.test.ts, which starts the gateway on the mock
provider and a rate-limited mock group, and passes the URL in SWITCHYARD_URL.
Each case asserts the SDK's parsed objects or exception classes.
"""

import os

import anthropic
import openai
import pytest

URL = os.environ["SWITCHYARD_URL"]


@pytest.fixture(scope="module")
def oai():
    return openai.OpenAI(base_url=f"{URL}/v1", api_key="sk-switchyard-test", max_retries=0)


@pytest.fixture(scope="module")
def claude():
    return anthropic.Anthropic(base_url=URL, api_key="sk-switchyard-test", max_retries=0)


def test_chat_unary(oai):
    res = oai.chat.completions.create(model="mock", messages=[{"role": "user", "content": "hello python"}])
    assert res.choices[0].message.content == "This is a mock response to: hello python"
    assert res.choices[0].finish_reason == "stop"
    assert res.usage.total_tokens == res.usage.prompt_tokens + res.usage.completion_tokens


def test_chat_stream_with_usage(oai):
    stream = oai.chat.completions.create(
        model="mock",
        messages=[{"role": "user", "content": "stream python"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    text, usage = "", None
    for chunk in stream:
        for choice in chunk.choices:
            text += choice.delta.content or ""
        if chunk.usage:
            usage = chunk.usage
    assert text == "This is a mock response to: stream python"
    assert usage.completion_tokens > 0


def test_chat_tools_streamed(oai):
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    with oai.chat.completions.stream(
        model="mock", messages=[{"role": "user", "content": "weather?"}], tools=tools, tool_choice="required"
    ) as stream:
        final = stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert final.choices[0].finish_reason == "tool_calls"


def test_models_and_embeddings(oai):
    assert "mock" in [m.id for m in oai.models.list()]
    res = oai.embeddings.create(model="mock", input=["a", "b"])
    assert [d.index for d in res.data] == [0, 1]
    assert len(res.data[0].embedding) == 16


def test_responses_unary_and_stream(oai):
    res = oai.responses.create(model="mock", input="hello responses")
    assert res.output_text == "This is a mock response to: hello responses"
    with oai.responses.stream(model="mock", input="stream responses") as stream:
        types = [event.type for event in stream]
        final = stream.get_final_response()
    assert final.output_text == "This is a mock response to: stream responses"
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert "response.output_text.delta" in types


def test_openai_errors(oai):
    with pytest.raises(openai.NotFoundError):
        oai.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError) as bad:
        oai.chat.completions.create(model="mock", messages=[])
    assert bad.value.param == "messages"
    with pytest.raises(openai.RateLimitError) as limited:
        oai.chat.completions.create(model="limited", messages=[{"role": "user", "content": "hi"}])
    assert limited.value.response.headers["retry-after"] == "1"


def test_messages_unary_and_stream(claude):
    msg = claude.messages.create(model="mock", max_tokens=50, system="be brief", messages=[{"role": "user", "content": "hi claude"}])
    assert msg.content[0].text == "This is a mock response to: hi claude"
    assert msg.stop_reason == "end_turn"
    with claude.messages.stream(model="mock", max_tokens=50, messages=[{"role": "user", "content": "stream claude"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "This is a mock response to: stream claude"
    assert final.usage.output_tokens > 0


def test_messages_tools_and_count_tokens(claude):
    tool = {"name": "get_weather", "input_schema": {"type": "object"}}
    msg = claude.messages.create(
        model="mock",
        max_tokens=50,
        tools=[tool],
        tool_choice={"type": "tool", "name": "get_weather"},
        messages=[{"role": "user", "content": "weather?"}],
    )
    assert msg.stop_reason == "tool_use"
    assert msg.content[0].type == "tool_use" and msg.content[0].input == {"input": "weather?"}
    count = claude.messages.count_tokens(model="mock", messages=[{"role": "user", "content": "hello"}])
    assert count.input_tokens > 0


def test_anthropic_errors(claude):
    with pytest.raises(anthropic.NotFoundError):
        claude.messages.create(model="no-such-model", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(anthropic.RateLimitError):
        claude.messages.create(model="limited-2", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
