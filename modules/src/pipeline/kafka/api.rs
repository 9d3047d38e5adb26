//! Which response type answers which request, for the handful of APIs the
//! admin client uses. (The crate's own `Request` trait needs its `broker`
//! feature, which would compile the server-side codecs for nothing.)

use kafka_protocol::messages::{
    AlterConfigsRequest, AlterConfigsResponse, ApiKey, ApiVersionsRequest, ApiVersionsResponse, CreatePartitionsRequest,
    CreatePartitionsResponse, CreateTopicsRequest, CreateTopicsResponse, DeleteTopicsRequest, DeleteTopicsResponse, DescribeConfigsRequest,
    DescribeConfigsResponse, IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, MetadataRequest, MetadataResponse,
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion};

/// A request the admin client sends, and the response it expects back.
pub trait AdminRequest: Encodable + HeaderVersion {
    const KEY: ApiKey;
    type Response: Decodable + HeaderVersion;
}

macro_rules! admin_request {
    ($($req:ty => $resp:ty, $key:ident;)*) => {
        $(impl AdminRequest for $req {
            const KEY: ApiKey = ApiKey::$key;
            type Response = $resp;
        })*
    };
}

admin_request! {
    ApiVersionsRequest => ApiVersionsResponse, ApiVersions;
    SaslHandshakeRequest => SaslHandshakeResponse, SaslHandshake;
    SaslAuthenticateRequest => SaslAuthenticateResponse, SaslAuthenticate;
    MetadataRequest => MetadataResponse, Metadata;
    CreateTopicsRequest => CreateTopicsResponse, CreateTopics;
    CreatePartitionsRequest => CreatePartitionsResponse, CreatePartitions;
    DescribeConfigsRequest => DescribeConfigsResponse, DescribeConfigs;
    IncrementalAlterConfigsRequest => IncrementalAlterConfigsResponse, IncrementalAlterConfigs;
    AlterConfigsRequest => AlterConfigsResponse, AlterConfigs;
    DeleteTopicsRequest => DeleteTopicsResponse, DeleteTopics;
}
