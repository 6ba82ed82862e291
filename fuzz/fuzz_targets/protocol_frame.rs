//! The wire protocol's frame decoder and message decoders: no panic on any bytes, fed in any
//! split; whatever decodes re-encodes to bytes that decode to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use veritydb::protocol::{FrameDecoder, Request, Response};

fuzz_target!(|data: &[u8]| {
    let Some((&split, stream)) = data.split_first() else {
        return;
    };
    let step = usize::from(split).max(1);
    let mut decoder = FrameDecoder::new();
    for chunk in stream.chunks(step) {
        decoder.push(chunk);
        loop {
            match decoder.next_frame() {
                Ok(Some(frame)) => {
                    if let Ok(request) = Request::decode(frame.frame_type, &frame.body) {
                        let mut again = Vec::new();
                        request.encode(frame.request_id, &mut again);
                        let round = veritydb::protocol::decode_frame(&again).expect("re-encoded");
                        let decoded = Request::decode(round.frame_type, &round.body);
                        assert_eq!(decoded.as_ref(), Ok(&request));
                    }
                    if let Ok(response) = Response::decode(frame.frame_type, &frame.body) {
                        let mut again = Vec::new();
                        response.encode(frame.request_id, frame.more(), &mut again);
                        let round = veritydb::protocol::decode_frame(&again).expect("re-encoded");
                        let decoded = Response::decode(round.frame_type, &round.body);
                        assert_eq!(decoded.as_ref(), Ok(&response));
                    }
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
