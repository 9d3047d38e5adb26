//! One connection to one broker: size-prefixed framing, correlation ids and
//! the API versions both sides speak (negotiated once, on connect).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes, VersionRange};

use super::api::AdminRequest;
use super::error::{KafkaError, UNSUPPORTED_VERSION};
use super::sasl::SaslPlain;

/// Responses larger than this are refused rather than allocated: an admin
/// response for thousands of topics stays far below it.
const MAX_RESPONSE: usize = 256 * 1024 * 1024;

/// The ApiVersions version tried first; a broker that does not know it answers
/// in version 0 with UNSUPPORTED_VERSION and its own ranges (KIP-35/KIP-511).
const API_VERSIONS_FIRST: i16 = 3;

/// Plain TCP, or TLS over it.
enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

pub struct Connection {
    stream: Stream,
    addr: String,
    client_id: StrBytes,
    next_correlation_id: i32,
    /// The broker's supported range per API key.
    broker_versions: HashMap<i16, VersionRange>,
}

impl Connection {
    /// Connect, negotiate API versions and, when asked, authenticate.
    pub fn open(
        addr: &str,
        timeout: Duration,
        client_id: &str,
        sasl: Option<&SaslPlain>,
        tls: Option<&std::sync::Arc<rustls::ClientConfig>>,
    ) -> Result<Connection, KafkaError> {
        let tcp = connect(addr, timeout)?;
        let io = |what, source| KafkaError::Io { addr: addr.to_string(), what, source };
        tcp.set_read_timeout(Some(timeout)).map_err(|e| io("set read timeout", e))?;
        tcp.set_write_timeout(Some(timeout)).map_err(|e| io("set write timeout", e))?;
        tcp.set_nodelay(true).map_err(|e| io("set TCP_NODELAY", e))?;
        let stream = match tls {
            None => Stream::Plain(tcp),
            Some(config) => {
                let name = super::tls::server_name(addr)?;
                let mut conn = rustls::ClientConnection::new(config.clone(), name).map_err(|e| KafkaError::Tls(format!("{addr}: {e}")))?;
                let mut tcp = tcp;
                // Handshake now, so a certificate problem is reported as one (not as a read error later).
                while conn.is_handshaking() {
                    conn.complete_io(&mut tcp).map_err(|e| KafkaError::Tls(format!("handshake with {addr}: {e}")))?;
                }
                Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)))
            }
        };
        let mut conn = Connection {
            stream,
            addr: addr.to_string(),
            client_id: StrBytes::from_string(client_id.to_string()),
            next_correlation_id: 1,
            broker_versions: HashMap::new(),
        };
        conn.negotiate()?;
        if let Some(sasl) = sasl {
            sasl.authenticate(&mut conn)?;
        }
        Ok(conn)
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Whether the broker speaks `key` at a version this client also speaks.
    pub fn supports(&self, key: ApiKey) -> bool {
        self.version_for(key).is_ok()
    }

    /// The highest version of `key` both sides speak.
    pub fn version_for(&self, key: ApiKey) -> Result<i16, KafkaError> {
        let client = key.valid_versions();
        let broker = self.broker_versions.get(&(key as i16));
        match broker.map(|b| b.intersect(&client)) {
            Some(common) if !common.is_empty() => Ok(common.max),
            _ => Err(KafkaError::Unsupported {
                addr: self.addr.clone(),
                api: format!("{key:?}"),
                broker: broker.map_or_else(|| "none".to_string(), ToString::to_string),
                client: client.to_string(),
            }),
        }
    }

    /// Send a request at the negotiated version and read its response.
    pub fn send<R: AdminRequest>(&mut self, request: &R) -> Result<(R::Response, i16), KafkaError> {
        let version = self.version_for(R::KEY)?;
        let body = self.round_trip(request, version)?;
        let response = self.decode_body::<R>(body, version)?;
        Ok((response, version))
    }

    fn decode_body<R: AdminRequest>(&self, mut body: Bytes, version: i16) -> Result<R::Response, KafkaError> {
        R::Response::decode(&mut body, version).map_err(|e| self.codec(format!("decode {:?} v{version} response", R::KEY), e))
    }

    fn negotiate(&mut self) -> Result<(), KafkaError> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("dpctl"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let body = self.round_trip(&request, API_VERSIONS_FIRST)?;
        // Every version starts with the error code; a broker that does not know
        // the version answers in v0: since Kafka 2.4 with its ApiVersions range,
        // before that with nothing. Ask again at a version it speaks.
        let code = body.clone().try_get_i16().unwrap_or(0);
        let response = if code == UNSUPPORTED_VERSION {
            let refusal = self.decode_body::<ApiVersionsRequest>(body, 0)?;
            let version = refusal
                .api_keys
                .iter()
                .find(|k| k.api_key == ApiKey::ApiVersions as i16)
                .map_or(0, |k| k.max_version.min(API_VERSIONS_FIRST));
            let body = self.round_trip(&request, version)?;
            self.decode_body::<ApiVersionsRequest>(body, version)?
        } else {
            self.decode_body::<ApiVersionsRequest>(body, API_VERSIONS_FIRST)?
        };
        let ApiVersionsResponse { error_code, api_keys, .. } = response;
        if error_code != 0 && error_code != UNSUPPORTED_VERSION {
            return Err(KafkaError::Broker { addr: self.addr.clone(), context: "ApiVersions".into(), code: error_code, message: None });
        }
        self.broker_versions = api_keys.into_iter().map(|k| (k.api_key, VersionRange { min: k.min_version, max: k.max_version })).collect();
        Ok(())
    }

    /// Frame, send, and read back the matching response body (header stripped).
    fn round_trip<R: AdminRequest>(&mut self, request: &R, version: i16) -> Result<Bytes, KafkaError> {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1);
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY as i16)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(self.client_id.clone()));
        let what = || format!("encode {:?} v{version} request", R::KEY);
        let mut buf = BytesMut::with_capacity(256);
        buf.put_i32(0);
        header.encode(&mut buf, R::header_version(version)).map_err(|e| self.codec(what(), e))?;
        request.encode(&mut buf, version).map_err(|e| self.codec(what(), e))?;
        let size = i32::try_from(buf.len() - 4).map_err(|_| self.codec(what(), "request larger than 2 GiB"))?;
        buf[0..4].copy_from_slice(&size.to_be_bytes());
        self.stream.write_all(&buf).map_err(|e| self.io("send request", e))?;

        let mut len = [0u8; 4];
        self.stream.read_exact(&mut len).map_err(|e| self.io("read response", e))?;
        let len = usize::try_from(i32::from_be_bytes(len)).map_err(|_| self.codec("read response", "negative frame size"))?;
        if len > MAX_RESPONSE {
            return Err(self.codec("read response", format!("frame of {len} bytes is larger than {MAX_RESPONSE}")));
        }
        let mut frame = vec![0u8; len];
        self.stream.read_exact(&mut frame).map_err(|e| self.io("read response", e))?;
        let mut body = Bytes::from(frame);
        let header = ResponseHeader::decode(&mut body, R::Response::header_version(version))
            .map_err(|e| self.codec(format!("decode {:?} response header", R::KEY), e))?;
        if header.correlation_id != correlation_id {
            return Err(
                self.codec("match response", format!("correlation id {} does not match request {correlation_id}", header.correlation_id))
            );
        }
        Ok(body)
    }

    fn io(&self, what: &'static str, source: std::io::Error) -> KafkaError {
        KafkaError::Io { addr: self.addr.clone(), what, source }
    }

    fn codec(&self, what: impl Into<String>, detail: impl ToString) -> KafkaError {
        KafkaError::Codec { addr: self.addr.clone(), what: what.into(), detail: detail.to_string() }
    }
}

fn connect(addr: &str, timeout: Duration) -> Result<TcpStream, KafkaError> {
    let err = |source| KafkaError::Connect { addr: addr.to_string(), source };
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "address resolves to nothing");
    for sock in addr.to_socket_addrs().map_err(err)? {
        match TcpStream::connect_timeout(&sock, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(err(last))
}
